//! `uniffi-bindgen`: generates Hearth's Kotlin and Swift bindings from the
//! compiled `hearth-ffi` library (library mode), with the exact uniffi version
//! the library was built with (both come from `[workspace.dependencies]`).
//!
//! ```sh
//! cargo run -p uniffi-bindgen -- generate --library target/debug/libhearth_ffi.so \
//!     --language kotlin --config bindings/uniffi.toml --out-dir target/bindings/kotlin
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
