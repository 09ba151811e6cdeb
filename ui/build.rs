//! Compiles the .slint screens (ui/app.slint: the kiosk and the displays), with English
//! bundled from translations/ and debug info so headless tests can find elements by their accessible labels.

fn main() {
    #[cfg(feature = "slint")]
    {
        let config = slint_build::CompilerConfiguration::new()
            .with_bundled_translations("translations")
            .with_default_translation_context(slint_build::DefaultTranslationContext::None)
            .with_debug_info(true);
        slint_build::compile_with_config("ui/app.slint", config).expect("the .slint screens compile");
        println!("cargo:rerun-if-changed=translations");
    }
}
