#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmpredict::infer::Engine;

fuzz_target!(|data: &[u8]| wasmpredict_fuzz::harness::bundle(data, Engine::Tract));
