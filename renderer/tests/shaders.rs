//! Every WGSL shader parses and validates with naga (no adapter needed).
use quakecast_renderer::frame::SHADERS;

/// Parse and validate `src`, returning naga's report on failure.
fn validate(src: &str) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(src))?;
    Ok(module)
}

#[test]
fn all_wgsl_shaders_validate() {
    assert_eq!(SHADERS.len(), 2);
    for (name, src) in SHADERS {
        let module = validate(src).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !module.entry_points.is_empty(),
            "{name} has no entry points"
        );
    }
}

#[test]
fn broken_shaders_are_caught() {
    // The check above can fail: a type error (parse stage) and a binding clash (validation).
    assert!(validate("@fragment fn fs() -> @location(0) vec4<f32> { return 1.0; }").is_err());
    let clash = "@group(0) @binding(0) var<uniform> a: vec4<f32>;
                 @group(0) @binding(0) var<uniform> b: vec4<f32>;
                 @fragment fn fs() -> @location(0) vec4<f32> { return a + b; }";
    assert!(validate(clash).is_err());
}
