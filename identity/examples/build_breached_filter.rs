//! Builds `identity/data/breached-passwords.bloom` from a list of passwords, one per line.
//! Run by `scripts/build-breached-filter.sh`; the seed is fixed so the file is reproducible.

use bloomfilter::Bloom;

const FALSE_POSITIVE_RATE: f64 = 0.0001;
const SEED: [u8; 32] = *b"vestibule breached passwords v1.";

fn main() {
    let mut args = std::env::args().skip(1);
    let (input, output) = (args.next().expect("input list"), args.next().expect("output file"));
    let text = std::fs::read_to_string(&input).expect("read the list");
    let passwords: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let mut filter: Bloom<str> = Bloom::new_for_fp_rate_with_seed(passwords.len(), FALSE_POSITIVE_RATE, &SEED).expect("filter parameters");
    for password in &passwords {
        filter.set(password);
    }
    std::fs::write(&output, filter.to_bytes()).expect("write the filter");
    println!("{} passwords -> {output} ({} bytes, {} hash functions)", passwords.len(), filter.to_bytes().len(), filter.number_of_hash_functions());
}
