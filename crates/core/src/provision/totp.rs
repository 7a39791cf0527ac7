//! The virtual MFA device's seed, locally: the `otpauth://totp/…` URI an authenticator app
//! scans (ARCHITECTURE.md: `otpauth://totp/NAME@ACCOUNT?secret=SEED`, RFC 6238, SHA-1, 6
//! digits, 30 s), its QR code for the terminal and as PNG, and the check that two codes
//! are consecutive codes of this seed before EnableMFADevice is called (moto does not check
//! them; AWS would, less helpfully).

use std::io::BufWriter;
use std::path::Path;

use qrcode::{Color, EcLevel, QrCode};
use secrecy::{ExposeSecret, SecretString};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::Error;

const STEP: u64 = 30;

/// A device's base32 seed. Never logged; written only where the user asks.
#[derive(Debug)]
pub struct Seed(SecretString);

impl Seed {
    pub fn new(base32: &str) -> Self {
        Seed(SecretString::from(base32.trim().to_owned()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    fn totp(&self) -> Option<TOTP> {
        let bytes = Secret::Encoded(self.expose().to_owned()).to_bytes().ok()?;
        Some(TOTP::new_unchecked(Algorithm::SHA1, 6, 0, STEP, bytes))
    }

    /// `otpauth://totp/LABEL?secret=…&issuer=AWS`, LABEL being `NAME@ACCOUNT`.
    pub fn uri(&self, label: &str) -> String {
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        format!(
            "otpauth://totp/{}?secret={}&issuer=AWS&algorithm=SHA1&digits=6&period=30",
            enc(label),
            self.expose()
        )
    }

    /// The code at unix time `t`.
    pub fn code_at(&self, t: u64) -> Option<String> {
        Some(self.totp()?.generate(t))
    }

    /// Whether `first` and `second` are the codes of two consecutive 30-second steps near
    /// `now` (two steps either way, for clock skew and typing time).
    pub fn consecutive(&self, first: &str, second: &str, now: u64) -> bool {
        let Some(totp) = self.totp() else {
            return false;
        };
        let base = now / STEP;
        (base.saturating_sub(3)..=base + 1).any(|step| {
            totp.generate(step * STEP) == first && totp.generate((step + 1) * STEP) == second
        })
    }
}

fn qr(data: &str) -> Result<QrCode, Error> {
    QrCode::with_error_correction_level(data, EcLevel::M).map_err(|e| Error::Transport {
        message: format!("could not draw the QR code: {e}"),
        hint: None,
    })
}

/// The QR code as text for a terminal: two modules per character (half blocks), with the
/// quiet zone, dark on light so that phones read it on dark terminals too.
pub fn terminal_qr(data: &str) -> Result<String, Error> {
    let code = qr(data)?;
    let w = code.width();
    let colors = code.to_colors();
    let quiet = 2;
    let dark = |x: isize, y: isize| {
        x >= 0
            && y >= 0
            && (x as usize) < w
            && (y as usize) < w
            && colors[y as usize * w + x as usize] == Color::Dark
    };
    let mut out = String::new();
    let span = -quiet..(w as isize + quiet);
    for y in span.clone().step_by(2) {
        for x in span.clone() {
            out.push(match (dark(x, y), dark(x, y + 1)) {
                (false, false) => '█',
                (true, false) => '▄',
                (false, true) => '▀',
                (true, true) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// The QR code as a PNG (8 pixels a module, 4-module quiet zone), mode 0600: it holds the
/// seed.
pub fn write_png(data: &str, path: &Path) -> Result<(), Error> {
    let code = qr(data)?;
    let (w, scale, quiet) = (code.width(), 8usize, 4usize);
    let colors = code.to_colors();
    let side = (w + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (mx, my) = (i % w + quiet, i / w + quiet);
            for dy in 0..scale {
                let row = (my * scale + dy) * side;
                pixels[row + mx * scale..row + (mx + 1) * scale].fill(0);
            }
        }
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(BufWriter::new(&mut bytes), side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let io = |e: png::EncodingError| Error::file("encode", path, std::io::Error::other(e));
        let mut writer = enc.write_header().map_err(io)?;
        writer.write_image_data(&pixels).map_err(io)?;
    }
    crate::awsfile::replace_file(path, &bytes).map(drop)
}
