fn main() {
    println!("scorediff {}", env!("CARGO_PKG_VERSION"));
}
