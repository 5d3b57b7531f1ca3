//! An RDTech UM24C/UM25C/UM34C 130-byte frame: an error or a finite
//! reading. Each input is also made into a frame of the right length, model
//! id and end marker or checksum, so that the fuzzer reaches the decoding
//! behind those checks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::power::meter::{um34c_checksum, um_decode, UmModel, UM_FRAME};

fuzz_target!(|data: &[u8]| {
    for model in [UmModel::Um24c, UmModel::Um25c, UmModel::Um34c] {
        for frame in [data.to_vec(), {
            let mut f = data.to_vec();
            f.resize(UM_FRAME, 0);
            f[..2].copy_from_slice(&model.id());
            if model == UmModel::Um34c {
                f[129] = um34c_checksum(&f);
            } else {
                f[128..130].copy_from_slice(&[0xFF, 0xF1]);
            }
            f
        }] {
            if let Ok(v) = um_decode(&frame, model) {
                assert!(v.watts.is_finite(), "{v:?}");
                assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
            }
        }
    }
});
