//! What parsing a SOAP request may allocate, measured: at most a small
//! multiple of the body, whatever its shape (long names nested deep, many
//! tiny elements, long attributes, long text).

use msnp::soap::envelope::Envelope;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The most heap a parse of `body` held (the body itself was allocated before).
fn peak_of_parse(body: &str) -> usize {
    let profiler = dhat::Profiler::builder().testing().build();
    let parsed = Envelope::parse(body);
    let peak = dhat::HeapStats::get().max_bytes;
    drop(parsed);
    drop(profiler);
    peak
}

fn wrap(inner: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><ABFindAll>{inner}</ABFindAll></soap:Body></soap:Envelope>"
    )
}

// One test: the heap profiler is global, and tests in parallel would share it.
#[test]
fn a_parse_holds_a_small_multiple_of_its_body() {
    let long = |c: char, n: usize| std::iter::repeat_n(c, n).collect::<String>();
    let mut cases: Vec<(&str, String)> = Vec::new();
    // The reported attack: 29 nested 900-character names, then 19,000 empty elements.
    let mut inner = String::new();
    for i in 0..29 {
        inner.push_str(&format!("<{}{i}>", long('n', 900)));
    }
    inner.push_str(&"<e/>".repeat(19_000));
    for i in (0..29).rev() {
        inner.push_str(&format!("</{}{i}>", long('n', 900)));
    }
    cases.push(("deep long names, then many empty elements", wrap(&inner)));
    // As deep as allowed, each name as long as the whole budget allows.
    let mut inner = String::new();
    for i in 0..28 {
        inner.push_str(&format!("<{}{i}>", long('d', 4000)));
    }
    inner.push_str(&"<x>t</x>".repeat(5000));
    for i in (0..28).rev() {
        inner.push_str(&format!("</{}{i}>", long('d', 4000)));
    }
    cases.push(("the deepest long names over many leaves", wrap(&inner)));
    // Every element a different name (interning cannot help).
    let inner: String = (0..10_000).map(|i| format!("<name{i:060}/>")).collect();
    cases.push(("ten thousand distinct names", wrap(&inner)));
    // Attributes: many, long, escaped.
    let inner: String = (0..2000)
        .map(|i| format!("<m a{i}=\"{}\" b=\"&amp;&lt;&gt;\" c='{}'/>", long('v', 100), long('w', 50)))
        .collect();
    cases.push(("many long attributes", wrap(&inner)));
    // Text: long, escaped, split by children.
    let inner = format!("<t>{}<c/>{}</t>", "&amp;".repeat(50_000), long('x', 200_000));
    cases.push(("long escaped text", wrap(&inner)));
    // The body limit's worth of the smallest elements.
    cases.push(("the most elements allowed", wrap(&"<e/>".repeat(msnp::soap::envelope::MAX_ELEMENTS - 10))));
    for (what, body) in &cases {
        let peak = peak_of_parse(body);
        let bound = msnp::soap::envelope::parse_memory_bound(body.len());
        assert!(peak <= bound, "{what}: {} bytes of body held {peak} bytes (bound {bound})", body.len());
        eprintln!(
            "{what}: {} bytes of body, {peak} bytes at most ({:.1}x)",
            body.len(),
            peak as f64 / body.len() as f64
        );
    }
}
