//! Scanned pages into one PDF: each page a JPEG image on a page of its physical size.

use image::DynamicImage;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};

/// Builds a PDF with one page per image; `dpi` gives the physical page size.
pub fn images_to_pdf(pages: &[DynamicImage], dpi: u32) -> Result<Vec<u8>, image::ImageError> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let mut next = 3;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let page_refs: Vec<(Ref, Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|(p, _, _)| *p)).count(pages.len() as i32);
    for (img, (page_ref, image_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let grey = matches!(img, DynamicImage::ImageLuma8(_) | DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA8(_));
        let mut jpeg = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85);
        if grey {
            img.to_luma8().write_with_encoder(encoder)?;
        } else {
            img.to_rgb8().write_with_encoder(encoder)?;
        }
        let (w, h) = (img.width() as f32 * 72.0 / dpi as f32, img.height() as f32 * 72.0 / dpi as f32);
        let name = Name(b"Im1");
        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, w, h)).parent(tree).contents(*content_ref);
        page.resources().x_objects().pair(name, *image_ref);
        page.finish();
        let mut x = pdf.image_xobject(*image_ref, &jpeg);
        x.width(img.width() as i32).height(img.height() as i32).bits_per_component(8);
        x.filter(Filter::DctDecode);
        if grey {
            x.color_space().device_gray();
        } else {
            x.color_space().device_rgb();
        }
        x.finish();
        let mut content = Content::new();
        content.save_state().transform([w, 0.0, 0.0, h, 0.0, 0.0]).x_object(name).restore_state();
        pdf.stream(*content_ref, &content.finish());
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_image() {
        let pages = vec![DynamicImage::new_luma8(100, 140), DynamicImage::new_rgb8(100, 140)];
        let pdf = images_to_pdf(&pages, 100).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("/Count 2"));
        assert_eq!(text.matches("/DCTDecode").count(), 2);
        assert!(text.contains("/MediaBox [0 0 72 100.8]"), "page size from dpi");
    }
}
