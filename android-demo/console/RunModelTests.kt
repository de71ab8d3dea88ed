// Runs the model layer's JUnit 4 tests (android-demo/app/src/test) on this
// machine without Gradle: one line per test (`ok   name` / `FAIL name: why`
// with the stack trace), then `N passed, N failed`; exit status 1 on any
// failure. Used by scripts/test-android-demo.sh; in Android Studio the same
// tests run through Gradle (`./gradlew :app:testDebugUnitTest`).

package org.hearth.demo.console

import kotlin.system.exitProcess
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

fun main(args: Array<String>) {
    val classes = args.ifEmpty { arrayOf("org.hearth.demo.model.HearthDemoTest") }.map { Class.forName(it) }
    var passed = 0
    var failed = 0
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        private var current: Failure? = null

        override fun testStarted(description: Description) {
            current = null
        }

        override fun testFailure(failure: Failure) {
            current = failure
        }

        override fun testFinished(description: Description) {
            val f = current
            if (f == null) {
                passed++
                println("ok   ${description.methodName}")
            } else {
                failed++
                println("FAIL ${description.methodName}: ${f.exception}")
                f.exception.printStackTrace(System.out)
            }
        }
    })
    val result = core.run(*classes.toTypedArray())
    if (result.runCount == 0) failed++ // a run of nothing is a failure
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
