//! Pixels in and out: the working grid, the area-average downscale to luma, masks brought down
//! to the grid, the light smoothing of anomaly maps, and the mask PNG brought back up.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder, RgbaImage};

/// The longest side of the working resolution, in cells; smaller images are worked on as
/// they are, never upscaled.
pub(super) const WORK_SIDE: u32 = 128;

/// How an image's pixels fall into working cells: cell `o` of a side covers the pixels
/// `start[o]..start[o + 1]`, with `start[o] = floor(o * full / work)`. Every cell covers at
/// least one pixel because `work <= full`.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) work_width: usize,
    pub(super) work_height: usize,
    col_of: Vec<usize>,
    row_of: Vec<usize>,
    col_start: Vec<usize>,
    row_start: Vec<usize>,
}

/// The starts of the cells of one side (`work + 1` values, the last one `full`) and the cell
/// of each pixel.
fn side(full: usize, work: usize) -> (Vec<usize>, Vec<usize>) {
    let start: Vec<usize> = (0..=work).map(|o| o * full / work).collect();
    let mut cell_of = Vec::with_capacity(full);
    for (o, bounds) in start.windows(2).enumerate() {
        cell_of.resize(bounds[1], o);
    }
    (start, cell_of)
}

impl Grid {
    /// The grid of a `width` x `height` image (both at least 1).
    pub(super) fn new(width: u32, height: u32) -> Grid {
        let longest = width.max(height);
        let scale = |full: u32| -> usize {
            if longest <= WORK_SIDE {
                full as usize
            } else {
                let scaled = (u64::from(full) * u64::from(WORK_SIDE) + u64::from(longest) / 2)
                    / u64::from(longest);
                scaled.max(1) as usize
            }
        };
        let (work_width, work_height) = (scale(width), scale(height));
        let (col_start, col_of) = side(width as usize, work_width);
        let (row_start, row_of) = side(height as usize, work_height);
        Grid {
            width: width as usize,
            height: height as usize,
            work_width,
            work_height,
            col_of,
            row_of,
            col_start,
            row_start,
        }
    }

    /// The number of working cells.
    pub(super) fn cells(&self) -> usize {
        self.work_width * self.work_height
    }

    /// The number of image pixels cell `index` covers.
    pub(super) fn area(&self, index: usize) -> usize {
        let (cx, cy) = (index % self.work_width, index / self.work_width);
        (self.col_start[cx + 1] - self.col_start[cx])
            * (self.row_start[cy + 1] - self.row_start[cy])
    }

    /// The image's luma (grey levels 0..=255, ITU-R BT.601 weights in 8-bit fixed point)
    /// averaged over each cell; the caller has checked the image's size matches the grid.
    pub(super) fn luma(&self, image: &DynamicImage) -> Vec<f32> {
        let rgb = |p: &[u8]| 77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]);
        match image {
            DynamicImage::ImageLuma8(buffer) => {
                self.sums::<1>(buffer.as_raw(), |p| u32::from(p[0]) << 8)
            }
            DynamicImage::ImageLumaA8(buffer) => {
                self.sums::<2>(buffer.as_raw(), |p| u32::from(p[0]) << 8)
            }
            DynamicImage::ImageRgb8(buffer) => self.sums::<3>(buffer.as_raw(), rgb),
            DynamicImage::ImageRgba8(buffer) => self.sums::<4>(buffer.as_raw(), rgb),
            // 16-bit and float images are rare in datasets: convert them first.
            other => self.sums::<3>(other.to_rgb8().as_raw(), rgb),
        }
    }

    /// Sums `luma` (grey level x 256) of `N`-channel pixels per cell, row by row in integers.
    fn sums<const N: usize>(&self, raw: &[u8], luma: impl Fn(&[u8]) -> u32) -> Vec<f32> {
        let mut sums = vec![0u64; self.cells()];
        // A row of one cell is at most 4096 pixels of at most 65280: it fits a u32.
        let mut row = vec![0u32; self.work_width];
        for (y, line) in raw
            .chunks_exact(self.width * N)
            .take(self.height)
            .enumerate()
        {
            row.fill(0);
            for (pixel, &cell) in line.chunks_exact(N).zip(&self.col_of) {
                row[cell] += luma(pixel);
            }
            let base = self.row_of[y] * self.work_width;
            for (sum, &part) in sums[base..base + self.work_width].iter_mut().zip(&row) {
                *sum += u64::from(part);
            }
        }
        sums.iter()
            .enumerate()
            .map(|(index, &sum)| (sum as f64 / (256 * self.area(index)) as f64) as f32)
            .collect()
    }

    /// A mask brought down to the grid: 0 for background, `c + 1` for `colors[c]`. A cell takes
    /// the class most of its pixels have (the first on ties) when that class covers at least
    /// a quarter of the cell, so a 1-pixel line still marks a 4x4 cell. Other colours
    /// (white among them) and the alpha channel are ignored.
    pub(super) fn mask_labels(&self, mask: &RgbaImage, colors: &[[u8; 3]]) -> Vec<u8> {
        let classes = colors.len();
        let mut counts = vec![0u32; self.cells() * classes];
        for (y, line) in mask
            .as_raw()
            .chunks_exact(self.width * 4)
            .take(self.height)
            .enumerate()
        {
            let base = self.row_of[y] * self.work_width;
            for (pixel, &cell) in line.chunks_exact(4).zip(&self.col_of) {
                if let Some(class) = colors.iter().position(|color| color[..] == pixel[..3]) {
                    counts[(base + cell) * classes + class] += 1;
                }
            }
        }
        (0..self.cells())
            .map(|index| {
                let cell = &counts[index * classes..(index + 1) * classes];
                let mut best = 0;
                for (class, &count) in cell.iter().enumerate() {
                    if count > cell[best] {
                        best = class;
                    }
                }
                match cell.get(best) {
                    Some(&count) if count > 0 && 4 * count as usize >= self.area(index) => {
                        best as u8 + 1
                    }
                    _ => 0,
                }
            })
            .collect()
    }

    /// Each cell's deviation from the normal statistics, `|x - mean| / std`, taken against
    /// the statistics of the cell itself and of its 8 neighbours, whichever fits best: parts
    /// are placed to within about a cell, so an edge that sits one cell off is not an
    /// anomaly, while a defect differs from every neighbour too.
    pub(super) fn deviation(&self, work: &[f32], mean: &[f32], std: &[f32]) -> Vec<f32> {
        let (w, h) = (self.work_width, self.work_height);
        let mut out = vec![0f32; work.len()];
        for y in 0..h {
            let rows = y.saturating_sub(1)..=(y + 1).min(h - 1);
            for x in 0..w {
                let x_value = work[y * w + x];
                let mut best = f32::INFINITY;
                for ny in rows.clone() {
                    for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                        let n = ny * w + nx;
                        best = best.min((x_value - mean[n]).abs() / std[n]);
                    }
                }
                out[y * w + x] = best;
            }
        }
        out
    }

    /// `map` smoothed by the separable [1 2 1] / 4 kernel, edges repeated: one noisy cell is
    /// damped to a quarter, a 1-cell line keeps half its height.
    pub(super) fn smooth(&self, map: &[f32]) -> Vec<f32> {
        let (w, h) = (self.work_width, self.work_height);
        let mut across = vec![0f32; map.len()];
        for y in 0..h {
            let row = &map[y * w..(y + 1) * w];
            for x in 0..w {
                let (left, right) = (row[x.saturating_sub(1)], row[(x + 1).min(w - 1)]);
                across[y * w + x] = 0.25 * left + 0.5 * row[x] + 0.25 * right;
            }
        }
        let mut out = vec![0f32; map.len()];
        for y in 0..h {
            let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
            for x in 0..w {
                out[y * w + x] = 0.25 * across[up * w + x]
                    + 0.5 * across[y * w + x]
                    + 0.25 * across[down * w + x];
            }
        }
        out
    }

    /// A PNG of the image's size: white, and each cell labelled `c + 1` filled with
    /// `colors[c]` (nearest-neighbour upscale of the grid).
    pub(super) fn mask_png(&self, labels: &[u8], colors: &[[u8; 3]]) -> Vec<u8> {
        let color = |label: u8| {
            if label == 0 {
                [255; 3]
            } else {
                colors[usize::from(label) - 1]
            }
        };
        let stride = self.width * 3;
        let mut raw = vec![0u8; stride * self.height];
        for (cy, band) in self.row_start.windows(2).enumerate() {
            let first = &mut raw[band[0] * stride..(band[0] + 1) * stride];
            for (pixel, &cell) in first.chunks_exact_mut(3).zip(&self.col_of) {
                pixel.copy_from_slice(&color(labels[cy * self.work_width + cell]));
            }
            // The other rows of the band are copies of its first.
            let (done, rest) = raw[band[0] * stride..band[1] * stride].split_at_mut(stride);
            for row in rest.chunks_exact_mut(stride) {
                row.copy_from_slice(done);
            }
        }
        let mut png = Vec::new();
        PngEncoder::new_with_quality(Cursor::new(&mut png), CompressionType::Fast, FilterType::Up)
            .write_image(
                &raw,
                self.width as u32,
                self.height as u32,
                ExtendedColorType::Rgb8,
            )
            .expect("an RGB image of valid size encodes to PNG in memory");
        png
    }
}
