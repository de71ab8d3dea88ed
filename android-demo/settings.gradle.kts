// The Hearth demo app: one application module, :app.
//
// Before the first build, run scripts/build-android.sh from the repository
// root: it builds libhearth_ffi.so for every ABI into app/src/main/jniLibs,
// generates the Kotlin bindings into app/build/generated/hearth/kotlin and
// the signed sample catalog into app/build/generated/hearth/assets (all
// generated, none committed). See README.md.
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "hearth-demo"
include(":app")
