use super::*;

fn served(html: &str) -> Served<'_> {
    Served { html, status: 200, requested_url: "https://news.test/story", final_url: "https://news.test/story" }
}

fn story() -> Article {
    Article {
        title: Some("Tram line to the harbour approved".into()),
        paragraphs: vec![
            "The city council approved the tram line to the harbour on Tuesday by 31 votes to 12, ending a decade of debate about the route.".into(),
            "Construction will start next spring and the first trams should run in 2029, the transport department said.".into(),
            "Shopkeepers on Quay Street, where the line will run, asked for compensation during the works.".into(),
            "The mayor said the line would cost 410 million euros, a third of it paid by the regional government.".into(),
        ],
        ..Article::default()
    }
}

const CONSENT_PAGE: &str = r#"<html><head><title>Before you continue</title></head><body>
    <div id="onetrust-banner-sdk"><h2>We value your privacy</h2>
    <p>We and our 842 partners store and/or access information on a device.</p>
    <button>Accept all</button><button>Reject all</button></div></body></html>"#;

#[test]
fn a_consent_wall_replacing_the_story_is_a_wall() {
    let wall_article = Article { title: Some("Before you continue".into()), ..Article::default() };
    let wall = classify(&served(CONSENT_PAGE), &wall_article, Some(&story())).expect("a wall");
    assert_eq!(wall.kind, WallKind::Consent);
    let shown = wall.to_string();
    assert!(shown.starts_with("consent wall: "), "{shown}");
    assert!(shown.contains("button \"accept all\"") && shown.contains("OneTrust"), "{shown}");
}

#[test]
fn the_story_under_a_consent_overlay_is_not_a_wall() {
    let html = CONSENT_PAGE.replace("</body>", "<article><p>The city council approved…</p></article></body>");
    assert_eq!(classify(&served(&html), &story(), Some(&story())), None);
    assert_eq!(classify(&served(&html), &story(), None), None);
}

#[test]
fn one_word_is_not_enough() {
    // Thin, and the text says "we value your privacy", but no button, no markup.
    let html = "<html><body><p>We value your privacy, the bank wrote.</p></body></html>";
    let a = Article { paragraphs: vec!["We value your privacy, the bank wrote.".into()], ..Article::default() };
    assert_eq!(classify(&served(html), &a, None), None);
}

#[test]
fn a_story_cut_after_its_first_paragraph_with_a_paywall_is_a_wall() {
    let full = story();
    let cut = Article { paragraphs: vec![full.paragraphs[0].clone()], ..full.clone() };
    let html = r#"<html><body><p>The city council approved the tram line…</p>
        <div class="paywall"><p>Subscribe to continue reading.</p><a href="/login">Already a subscriber? Log in</a></div></body></html>"#;
    let wall = classify(&served(html), &cut, Some(&full)).expect("a wall");
    assert_eq!(wall.kind, WallKind::Paywall);
    assert!(wall.to_string().contains("body cut to the first 1 of 4 paragraphs"), "{wall}");
    // The same cut without any paywall sign, or with one only, is an edit, not a wall.
    let plain = "<html><body><p>The city council approved the tram line…</p></body></html>";
    assert_eq!(classify(&served(plain), &cut, Some(&full)), None);
    let header = r#"<html><body><a href="/login">Already a subscriber? Log in</a><p>The city council approved the tram line…</p></body></html>"#;
    assert_eq!(classify(&served(header), &cut, Some(&full)), None);
}

#[test]
fn a_redirect_to_sign_in_is_a_login_redirect() {
    let html = r#"<html><head><title>Sign in | News</title></head><body><form><input type="email" name="e">
        <input type="password" name="p"><button>Sign in</button></form></body></html>"#;
    let s = Served { final_url: "https://news.test/account/login?return_to=%2Fstory", ..served(html) };
    let wall = classify(&s, &Article::default(), Some(&story())).expect("a wall");
    assert_eq!(wall.kind, WallKind::LoginRedirect);
    assert!(wall.evidence.iter().any(|e| e == "password field"), "{wall}");
}

#[test]
fn kinds_round_trip_through_their_names() {
    for k in WallKind::ALL {
        assert_eq!(WallKind::from_name(k.as_str()), Some(k));
    }
    assert_eq!(WallKind::from_name("wall"), None);
}
