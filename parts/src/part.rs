//! One part in front of the fixed camera: its geometry, its lighting and noise, its defect,
//! and the image and mask drawn from them.
//!
//! Every length is a fraction of the image's shorter side, so a set looks the same at 128,
//! 512 or 1024 px. Noise is a hash of the pixel's position and the image's seed, not a
//! stream, so an anomalous image and its template (the same part without the defect) differ
//! exactly where the defect is.

use image::{Rgb, RgbImage};

use crate::rng::{mix, Rng};
use crate::DefectKind;

/// The plate's outer radius.
const OUTER: f64 = 0.38;
/// The central bore.
const BORE: f64 = 0.12;
/// A machined groove, drawn darker.
const GROOVE: (f64, f64) = (0.225, 0.24);
/// A chamfer at the rim, drawn lighter.
const CHAMFER: f64 = 0.36;
/// Six bolt holes on this circle, of this radius.
const BOLT_CIRCLE: f64 = 0.30;
const BOLT: f64 = 0.028;
/// Defects start on the face between the bore and the bolt holes.
const FACE: (f64, f64) = (0.15, 0.26);
/// The background and the part's base colour (a grey steel).
const BACKGROUND: [f64; 3] = [38.0, 42.0, 50.0];
const STEEL: [f64; 3] = [150.0, 152.0, 158.0];
/// Per-pixel noise amplitude, per channel: defects are far above it.
const NOISE: u64 = 4;

/// One defect, in part coordinates (pixels from the part's centre).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Defect {
    /// A line segment from `a` to `b`, `half_width` either side; dark or bright.
    Scratch {
        a: (f64, f64),
        b: (f64, f64),
        half_width: f64,
        bright: bool,
    },
    /// An ellipse: centre, unit axis, semi-axes; dark or rust-coloured.
    Spot {
        centre: (f64, f64),
        axis: (f64, f64),
        semi: (f64, f64),
        rust: bool,
    },
    /// A disk centred on the rim, where the part is missing.
    Missing { centre: (f64, f64), radius: f64 },
}

impl Defect {
    fn kind(&self) -> DefectKind {
        match self {
            Defect::Scratch { .. } => DefectKind::Scratch,
            Defect::Spot { .. } => DefectKind::Spot,
            Defect::Missing { .. } => DefectKind::Missing,
        }
    }

    fn draw(kind: DefectKind, side: f64, rng: &mut Rng) -> Self {
        let on_face = |rng: &mut Rng| {
            let (ux, uy) = rng.direction();
            let r = rng.range(FACE.0, FACE.1) * side;
            (ux * r, uy * r)
        };
        match kind {
            DefectKind::Scratch => {
                let (cx, cy) = on_face(rng);
                let (dx, dy) = rng.direction();
                let half = rng.range(0.10, 0.30) * 2.0 * OUTER * side / 2.0;
                // 2-4 px at 512, never thinner than 1.5 px so small images still show it.
                let width = (rng.range(2.0, 4.0) * side / 512.0).max(1.5);
                Defect::Scratch {
                    a: (cx - dx * half, cy - dy * half),
                    b: (cx + dx * half, cy + dy * half),
                    half_width: width / 2.0,
                    bright: rng.coin(),
                }
            }
            DefectKind::Spot => {
                let centre = on_face(rng);
                let a = rng.range(0.02, 0.05) * side;
                Defect::Spot {
                    centre,
                    axis: rng.direction(),
                    semi: (a, a * rng.range(0.6, 1.0)),
                    rust: rng.coin(),
                }
            }
            DefectKind::Missing => {
                let (ux, uy) = rng.direction();
                Defect::Missing {
                    centre: (ux * OUTER * side, uy * OUTER * side),
                    radius: rng.range(0.05, 0.08) * side,
                }
            }
        }
    }

    /// Whether the defect covers the point `(x, y)` (part coordinates).
    fn covers(&self, x: f64, y: f64) -> bool {
        match *self {
            Defect::Scratch {
                a, b, half_width, ..
            } => {
                let (vx, vy) = (b.0 - a.0, b.1 - a.1);
                let t = (((x - a.0) * vx + (y - a.1) * vy) / (vx * vx + vy * vy)).clamp(0.0, 1.0);
                let (px, py) = (a.0 + t * vx - x, a.1 + t * vy - y);
                px * px + py * py <= half_width * half_width
            }
            Defect::Spot {
                centre, axis, semi, ..
            } => {
                let (dx, dy) = (x - centre.0, y - centre.1);
                let u = (dx * axis.0 + dy * axis.1) / semi.0;
                let v = (-dx * axis.1 + dy * axis.0) / semi.1;
                u * u + v * v <= 1.0
            }
            Defect::Missing { centre, radius } => {
                let (dx, dy) = (x - centre.0, y - centre.1);
                dx * dx + dy * dy <= radius * radius
            }
        }
    }

    /// The colour of the part's material under the defect (`None`: the part is missing).
    fn paint(&self, c: [f64; 3]) -> Option<[f64; 3]> {
        match *self {
            Defect::Scratch { bright: false, .. } => Some(c.map(|v| v * 0.35)),
            Defect::Scratch { bright: true, .. } => Some(c.map(|v| v + 90.0)),
            Defect::Spot { rust: false, .. } => Some(c.map(|v| v * 0.4)),
            Defect::Spot { rust: true, .. } => Some([c[0] * 1.05 + 20.0, c[1] * 0.6, c[2] * 0.3]),
            Defect::Missing { .. } => None,
        }
    }
}

/// Where the line's light comes from (a unit vector, image coordinates): the upper left.
pub const LIGHT_DIRECTION: (f64, f64) = (-0.6, -0.8);

/// One part as the camera sees it: build with [`Part::new`] or [`crate::Spec::part`], then
/// draw [`Part::image`], [`Part::template`] and [`Part::mask`].
#[derive(Debug, Clone)]
pub struct Part {
    width: u32,
    height: u32,
    /// The image's own seed: its noise.
    noise_seed: u64,
    /// The part's centre, in pixels (the camera is fixed; the part is slightly misplaced).
    centre: (f64, f64),
    /// The lighting gradient: unit direction and strength across the shorter side.
    light: ((f64, f64), f64),
    defect: Option<Defect>,
}

impl Part {
    /// The part number `stream` of the set seeded by `seed`, `width` x `height` pixels,
    /// carrying `defect` (`None`: a normal part). The camera and its light are fixed, so
    /// every set of every seed shares the lighting's direction ([`LIGHT_DIRECTION`]): a
    /// model trained on one seed's parts can be tested on another's. The misalignment, the
    /// lighting's strength, the noise and the defect's place and size belong to the part.
    pub fn new(
        seed: u64,
        width: u32,
        height: u32,
        stream: u64,
        defect: Option<DefectKind>,
    ) -> Self {
        let side = f64::from(width.min(height));
        let noise_seed = mix(seed ^ mix(stream));
        let mut rng = Rng::new(noise_seed);
        // Aligned parts: at most ~1% of the side (±2 px at 256).
        let shift = (side / 128.0).round().max(1.0) as i64;
        let centre = (
            f64::from(width) / 2.0 + rng.signed(shift) as f64,
            f64::from(height) / 2.0 + rng.signed(shift) as f64,
        );
        let light = (LIGHT_DIRECTION, rng.range(0.12, 0.18));
        let defect = defect.map(|kind| Defect::draw(kind, side, &mut rng));
        Part {
            width,
            height,
            noise_seed,
            centre,
            light,
            defect,
        }
    }

    /// The part's defect, if it has one.
    pub fn defect(&self) -> Option<DefectKind> {
        self.defect.map(|d| d.kind())
    }

    /// The image of the part, with its defect.
    pub fn image(&self) -> RgbImage {
        self.draw(self.defect.as_ref())
    }

    /// The same image without the defect: the normal part it was made from.
    pub fn template(&self) -> RgbImage {
        self.draw(None)
    }

    /// The segmentation mask of an anomalous part: white, with the defect's pixels in its
    /// class colour ([`DefectKind::hex_color`]); `None` for a normal part.
    pub fn mask(&self) -> Option<RgbImage> {
        let defect = self.defect?;
        let colour = Rgb(defect.kind().rgb());
        Some(RgbImage::from_fn(self.width, self.height, |x, y| {
            let (px, py) = self.part_coords(x, y);
            if material(px, py, self.side()) && defect.covers(px, py) {
                colour
            } else {
                Rgb([255, 255, 255])
            }
        }))
    }

    fn side(&self) -> f64 {
        f64::from(self.width.min(self.height))
    }

    /// A pixel's centre, relative to the part's centre.
    fn part_coords(&self, x: u32, y: u32) -> (f64, f64) {
        (
            f64::from(x) + 0.5 - self.centre.0,
            f64::from(y) + 0.5 - self.centre.1,
        )
    }

    fn draw(&self, defect: Option<&Defect>) -> RgbImage {
        let side = self.side();
        let ((lx, ly), strength) = self.light;
        let (mid_x, mid_y) = (f64::from(self.width) / 2.0, f64::from(self.height) / 2.0);
        RgbImage::from_fn(self.width, self.height, |x, y| {
            let (px, py) = self.part_coords(x, y);
            let mut colour = if material(px, py, side) {
                let c = steel(px, py, side);
                match defect.filter(|d| d.covers(px, py)) {
                    Some(d) => d.paint(c).unwrap_or(BACKGROUND),
                    None => c,
                }
            } else {
                BACKGROUND
            };
            // The lamp is fixed too: the gradient is in image coordinates.
            let (gx, gy) = (f64::from(x) + 0.5 - mid_x, f64::from(y) + 0.5 - mid_y);
            let lit = 1.0 + strength * (gx * lx + gy * ly) / side;
            let noise = mix(self.noise_seed ^ (u64::from(y) << 32 | u64::from(x)));
            for (i, c) in colour.iter_mut().enumerate() {
                let n = ((noise >> (16 * i)) & 0xFFFF) % (2 * NOISE + 1);
                *c = *c * lit + n as f64 - NOISE as f64;
            }
            Rgb(colour.map(|c| c.round().clamp(0.0, 255.0) as u8))
        })
    }
}

/// Whether part coordinates fall on the part's material (not the background, the bore or
/// a bolt hole).
fn material(x: f64, y: f64, side: f64) -> bool {
    let r2 = x * x + y * y;
    let (outer, bore) = (OUTER * side, BORE * side);
    if r2 > outer * outer || r2 < bore * bore {
        return false;
    }
    // Six holes at 60° steps: cos 60° = 1/2, sin 60° = √3/2.
    let (c, s) = (
        0.5 * BOLT_CIRCLE * side,
        0.75f64.sqrt() * BOLT_CIRCLE * side,
    );
    let holes = [
        (BOLT_CIRCLE * side, 0.0),
        (-BOLT_CIRCLE * side, 0.0),
        (c, s),
        (c, -s),
        (-c, s),
        (-c, -s),
    ];
    let bolt = BOLT * side;
    holes
        .iter()
        .all(|(hx, hy)| (x - hx) * (x - hx) + (y - hy) * (y - hy) > bolt * bolt)
}

/// The steel's colour at a point of material: a darker groove and a lighter chamfer.
fn steel(x: f64, y: f64, side: f64) -> [f64; 3] {
    let r = (x * x + y * y).sqrt() / side;
    let shade = if (GROOVE.0..GROOVE.1).contains(&r) {
        0.72
    } else if r >= CHAMFER {
        1.12
    } else {
        1.0
    };
    STEEL.map(|c| c * shade)
}
