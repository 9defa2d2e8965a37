//! Print a built-in theme as JSON, the starting point for a theme file:
//! `cargo run -p quakecast-scenes --example theme_json -- [default|night] > my-theme.json`.
fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let theme = match name.as_str() {
        "night" => quakecast_scenes::Theme::night(),
        _ => quakecast_scenes::Theme::default(),
    };
    println!("{}", theme.to_json());
}
