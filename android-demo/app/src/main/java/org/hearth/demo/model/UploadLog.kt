package org.hearth.demo.model

import java.io.File

/**
 * The demo's [ReportUploader]: instead of a server, every payload is appended
 * as one line to [file] (JSON Lines, byte for byte what a collector would
 * receive) and passed to [echo] (the app sends it to Logcat, the console
 * prints it).
 *
 * The file is the exact input of the auditor's command line tool, so what the
 * app "uploaded" can be checked off the phone with
 * `hearth audit uploads.jsonl --max-epsilon 1`
 * (`adb shell run-as org.hearth.demo cat files/uploads.jsonl`).
 *
 * @param file the log; `null` keeps the log in memory only (tests).
 * @param echo called with a one-line summary of each upload.
 */
class UploadLog(private val file: File?, private val echo: (String) -> Unit = {}) : ReportUploader {
    private val lock = Any()
    private val lines = mutableListOf<String>()

    init {
        if (file != null && file.exists()) {
            lines += file.readLines(Charsets.UTF_8).filter { it.isNotBlank() }
        }
    }

    override fun upload(period: String, payload: String): Boolean {
        require('\n' !in payload) { "a payload is one line of canonical JSON" }
        synchronized(lock) {
            file?.let { f ->
                f.parentFile?.mkdirs()
                f.appendText(payload + "\n", Charsets.UTF_8)
            }
            lines += payload
        }
        echo("uploaded report $period (${payload.toByteArray(Charsets.UTF_8).size} bytes)${file?.let { " to ${it.name}" } ?: ""}")
        return true
    }

    /**
     * Every payload uploaded so far (including earlier launches when [file] is
     * set), oldest first. Like a server's copy, it outlives the app's reset.
     */
    fun entries(): List<UploadRecord> = synchronized(lock) { lines.map { UploadRecord(periodOf(it), it) } }

    private companion object {
        val PERIOD = Regex("\"period\":\"([0-9]{4}-[0-9]{2}-[0-9]{2})\"")

        fun periodOf(payload: String): String = PERIOD.find(payload)?.groupValues?.get(1) ?: "?"
    }
}
