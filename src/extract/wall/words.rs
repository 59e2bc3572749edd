//! What walls say and what their markup is made of, in English, German, French, Spanish,
//! Italian and Portuguese: the phrases of each kind of wall, the button labels of consent
//! dialogs, and the fingerprints of consent managers, paywall vendors and bot challenges.
//!
//! Phrases are matched against folded text (lower case, straight apostrophes, one space
//! between words); labels must be the whole text of a button or link.

use std::sync::LazyLock;

use regex::Regex;

/// Prose of consent dialogs.
const CONSENT: &str = r"we value your privacy|we care about your privacy|your privacy (?:matters|is important to us)|your privacy choices|we and our (?:\d+ )?(?:partners|vendors)|stor(?:e|age of) and/or access(?:ing)? (?:to )?information on (?:a|your) device|cookies and similar technologies|personali[sz]ed (?:ads|advertising) and content|(?:based on|rely on) (?:their )?legitimate interest|this (?:site|website) uses cookies|by clicking [“”']?(?:accept|i agree|agree)|manage (?:your )?(?:cookie |privacy )?(?:preferences|options|settings|choices)|wir (?:respektieren|schätzen) ihre privatsphäre|ihre privatsphäre ist uns wichtig|wir und unsere (?:\d+ )?(?:partner|drittanbieter)|datenschutz-?einstellungen|cookie-?einstellungen|ihre einwilligung|informationen auf (?:einem|ihrem) gerät (?:speichern|zu speichern)|personalisierte anzeigen und inhalte|berechtigte[sn]? interesse|diese (?:website|webseite|seite) (?:verwendet|nutzt) cookies|mit (?:dem )?klick auf|nous (?:respectons|accordons de l'importance à) votre vie privée|votre vie privée (?:est importante|nous importe|compte)|nous et nos (?:\d+ )?partenaires|stocker et/ou accéder à des informations|(?:paramètres|préférences) (?:des |de |de vos )?cookies|gérer (?:mes |vos )?(?:préférences|choix|paramètres)|votre consentement|publicités et contenus? personnalisés|intérêt légitime|ce site utilise des cookies|valoramos (?:tu|su) privacidad|(?:tu|su) privacidad (?:es importante|nos importa)|nosotros y nuestros (?:\d+ )?(?:socios|proveedores)|almacenar (?:la )?información (?:en|de) (?:un|su|tu) dispositivo|(?:configuración|preferencias) de (?:las )?cookies|gestionar (?:las |tus |sus )?(?:preferencias|opciones)|(?:tu|su) consentimiento|anuncios y contenidos? personalizados|interés legítimo|este sitio (?:web )?(?:utiliza|usa) cookies|(?:rispettiamo|teniamo alla) (?:la )?tua privacy|la tua privacy è importante|noi e i nostri (?:\d+ )?(?:partner|fornitori)|archiviare e/o accedere a informazioni|(?:impostazioni|preferenze) (?:dei |sui )?cookie|gestisci (?:le )?(?:tue )?(?:preferenze|opzioni)|il tuo consenso|annunci e contenuti personalizzati|legittimo interesse|questo sito (?:utilizza|usa) (?:i )?cookie|valorizamos a (?:sua|tua) privacidade|a (?:sua|tua) privacidade é importante|nós e os nossos (?:\d+ )?parceiros|armazenar e/ou acess?[ea]r (?:a )?informações|(?:definições|configurações|preferências) de cookies|ger(?:ir|enciar) (?:as )?(?:suas )?preferências|o seu consentimento|anúncios e conteúdos? personalizados|interesse legítimo|este (?:site|sítio) (?:utiliza|usa) cookies";

/// The whole label of a consent dialog's buttons.
const CONSENT_LABEL: &str = r"accept(?: all)?(?: cookies)?|accept (?:and|&) (?:close|continue)|i accept|i agree|agree(?: (?:and|&) (?:close|proceed|continue))?|allow all(?: cookies)?|reject all|decline all|manage (?:options|preferences|settings|cookies)|cookie settings|alle akzeptieren|akzeptieren(?: und (?:schließen|weiter))?|alle ablehnen|alle zulassen|zustimmen(?: und weiter)?|ich stimme zu|einstellungen verwalten|auswahl speichern|tout accepter|accepter(?: et (?:fermer|continuer)| tout)?|tout refuser|continuer sans accepter|paramétrer(?: les cookies)?|j'accepte|gérer (?:mes )?(?:préférences|choix|options)|aceptar(?: todo| todas(?: las cookies)?| y (?:cerrar|continuar))?|rechazar(?: todo| todas)?|configurar cookies|acepto|accetta(?: tutto| tutti| e (?:chiudi|continua))?|accetto|rifiuta(?: tutto| tutti)?|continua senza accettare|gestisci (?:preferenze|opzioni)|aceitar(?: tudo| todos(?: os cookies)?| e (?:fechar|continuar))?|aceito|concordo|rejeitar(?: tudo| todos)?|recusar(?: tudo)?|ger(?:ir|enciar) (?:preferências|opções)|configurar cookies";

/// Prose of paywalls and subscriber interstitials.
const PAYWALL: &str = r"subscribe (?:now |today )?to (?:continue|keep) reading|(?:this|the) (?:article|story|content) is (?:only )?(?:available|reserved|exclusive) (?:to|for) (?:paying )?(?:subscribers|members)|(?:for )?subscribers only|already a (?:subscriber|member)|to (?:continue|keep) reading,? (?:please )?(?:subscribe|log in|sign in)|continue reading with a subscription|you(?:'ve| have) reached (?:your|the) (?:free )?(?:article )?limit|unlock (?:this|the full) (?:article|story)|get unlimited (?:digital )?access|become a (?:subscriber|member) to (?:read|continue)|(?:dieser|der) (?:artikel|beitrag|inhalt) ist (?:nur |exklusiv )?für (?:abonnenten|abonnentinnen|abonnierende|abonnent\*innen)|(?:jetzt )?weiterlesen mit|abonnieren und weiterlesen|(?:sie sind )?bereits abonnent|exklusiv für (?:abonnenten|abonnierende)|mit (?:einem |ihrem )?abo weiterlesen|(?:cet article|ce contenu) est réservé aux abonnés|article réservé aux abonnés|il vous reste \d+ ?% de cet article à lire|(?:abonnez-vous|je m'abonne) pour (?:lire|continuer)|déjà abonné|la suite est réservée aux abonnés|(?:este|esta) (?:contenido|artículo|noticia) es (?:exclusivo|exclusiva) para (?:suscriptores|socios)|exclusivo para suscriptores|suscríbete para (?:seguir|continuar) leyendo|ya eres suscriptor|has alcanzado el límite|(?:questo|quest') ?articolo è riservato agli abbonati|riservato agli abbonati|abbonati per continuare a leggere|sei già abbonato|hai raggiunto il limite|(?:este|esta) (?:conteúdo|artigo|matéria|reportagem) é exclusiv[oa] para assinantes|exclusivo para assinantes|assine para continuar (?:lendo|a ler)|já é assinante|você atingiu o limite";

/// Prose of bot challenges and blocks.
const BOT: &str = r"just a moment|checking (?:if the site connection is secure|your browser)|verify(?:ing)? (?:that )?you are (?:a )?human|are you a (?:robot|human)|i'?m not a robot|please (?:complete|solve) the (?:security check|captcha)|attention required|access (?:to this page (?:has been|is) )?denied|you don'?t have permission to access|pardon our interruption|request (?:was )?blocked|enable javascript and cookies to continue|ddos protection by|one more step|security check|press (?:&|and) hold|unusual (?:traffic|activity) from your (?:computer|network)|reference #\s?\d+\.[0-9a-f]+|einen moment(?:,)? bitte|zugriff verweigert|bestätigen sie,? dass sie (?:ein mensch|kein roboter) sind|ich bin kein roboter|sicherheitsüberprüfung|ungewöhnliche aktivitäten|un (?:instant|moment)(?:,)? s'il vous plaît|veuillez patienter|accès refusé|vérifi(?:ez|ons|er) que vous (?:êtes (?:un )?humain|n'êtes pas un robot)|je ne suis pas un robot|vérification de sécurité|activité inhabituelle|un momento(?:,)? por favor|acceso denegado|verifica(?:mos)? que (?:eres|es) (?:un )?humano|no soy un robot|(?:comprobación|verificación) de seguridad|actividad inusual|solo un momento|attendere prego|accesso negato|verifica(?:re)? che (?:sei|tu sia) (?:un )?umano|conferma di non essere un robot|non sono un robot|controllo di sicurezza|attività insolita|só um momento|aguarde um momento|acesso negado|(?:confirme|verifique) que (?:você )?(?:é|és) humano|não sou um robô|verificação de segurança|atividade (?:incomum|invulgar)";

/// Prose of "page not found" pages.
const NOT_FOUND: &str = r"page not found|404 not found|error 404|404 error|(?:this|the) page (?:you (?:are|were|'re) looking for |you requested )?(?:could not be found|cannot be found|can'?t be found|does not exist|doesn'?t exist|was not found|no longer exists|has been (?:moved|removed))|we (?:can'?t|cannot|couldn'?t|could not) find (?:that|this|the) page|seite nicht gefunden|die (?:angeforderte |gesuchte )?seite (?:wurde nicht gefunden|existiert nicht|konnte nicht gefunden werden|gibt es nicht)|fehler 404|page (?:introuvable|non trouvée|inexistante)|(?:cette|la) page (?:que vous (?:recherchez|cherchez|demandez) )?n'existe pas|erreur 404|página no encontrada|(?:la|esta) página (?:que (?:buscas|busca|estás buscando) |solicitada )?no existe|no (?:hemos podido|pudimos) encontrar la página|pagina non trovata|(?:la|questa) pagina (?:che (?:cerchi|stai cercando|hai richiesto) )?non esiste|non (?:abbiamo|siamo riusciti a) trova(?:to|re) (?:la|questa) pagina|errore 404|página não encontrada|(?:a|esta) página (?:que (?:procura|procuras|você procura|está a procurar) )?não existe|não (?:foi possível|conseguimos) encontrar (?:a|esta) página|erro 404";

/// Notices that a page needs JavaScript.
const NEEDS_SCRIPT: &str = r"enable javascript|javascript (?:is )?(?:required|disabled|must be enabled)|turn on javascript|javascript aktivieren|aktivieren sie javascript|activer (?:le )?javascript|activez (?:le )?javascript|activa(?:r)? (?:el )?javascript|habilita(?:r)? (?:el )?javascript|attiva(?:re)? (?:il )?javascript|abilita(?:re)? (?:il )?javascript|ativ(?:e|ar) o javascript|ative javascript";

/// Sign-in prompts.
const SIGN_IN: &str = r"\b(?:sign in|log in|login|sign-in|anmelden|einloggen|se connecter|connectez-vous|identifiez-vous|iniciar sesión|inicia sesión|accedi|iniciar sessão|inicie sessão|fazer login|entrar)\b";

fn folded(alternation: &str) -> Regex {
    Regex::new(&format!("(?i)(?:{alternation})")).expect("wall phrases compile")
}

/// Consent prose.
pub static CONSENT_RE: LazyLock<Regex> = LazyLock::new(|| folded(CONSENT));
/// A consent button's whole label.
pub static CONSENT_LABEL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)^\W*(?:{CONSENT_LABEL})\W*$")).expect("labels compile"));
/// Paywall prose.
pub static PAYWALL_RE: LazyLock<Regex> = LazyLock::new(|| folded(PAYWALL));
/// Bot-challenge prose.
pub static BOT_RE: LazyLock<Regex> = LazyLock::new(|| folded(BOT));
/// Not-found prose.
pub static NOT_FOUND_RE: LazyLock<Regex> = LazyLock::new(|| folded(NOT_FOUND));
/// "Please enable JavaScript".
pub static NEEDS_SCRIPT_RE: LazyLock<Regex> = LazyLock::new(|| folded(NEEDS_SCRIPT));
/// Sign-in prompts.
pub static SIGN_IN_RE: LazyLock<Regex> = LazyLock::new(|| folded(SIGN_IN));

/// Any wall prose: a paragraph that says it is not article text.
pub static ANY_RE: LazyLock<Regex> =
    LazyLock::new(|| folded(&[CONSENT, PAYWALL, BOT, NOT_FOUND, NEEDS_SCRIPT].join("|")));

/// A vendor's fingerprint in the raw markup, with the vendor's name.
pub struct Vendor {
    /// As shown in the evidence.
    pub name: &'static str,
    /// Matched case-insensitively against the raw HTML.
    pub markup: &'static str,
}

/// Consent-management platforms.
pub const CONSENT_VENDORS: &[Vendor] = &[
    Vendor { name: "OneTrust", markup: r"onetrust|optanon|cdn\.cookielaw\.org" },
    Vendor { name: "Didomi", markup: r"didomi" },
    Vendor { name: "Quantcast Choice", markup: r"qc-cmp2|quantcast\.mgr\.consensu\.org|cmp\.quantcast\.com" },
    Vendor { name: "Usercentrics", markup: r"usercentrics|uc-center-container" },
    Vendor { name: "Sourcepoint", markup: r"sp_message_container|sourcepoint|sp-prod\.net|_sp_\.config" },
    Vendor { name: "Cookiebot", markup: r"cookiebot|cybotcookiebotdialog" },
    Vendor { name: "TrustArc", markup: r"trustarc|truste-consent|consent\.truste\.com" },
    Vendor { name: "Iubenda", markup: r"iubenda" },
    Vendor { name: "CookieYes", markup: r"cookieyes|cky-consent" },
    Vendor { name: "Borlabs", markup: r"borlabs-cookie" },
    Vendor { name: "Klaro", markup: r"klaro-cookie|\bklaro\b" },
    Vendor { name: "IAB TCF", markup: r"__tcfapi|__cmp\(|consensu\.org" },
];

/// Paywall and subscription platforms, and the schema.org flag.
pub const PAYWALL_VENDORS: &[Vendor] = &[
    Vendor { name: "isAccessibleForFree: false", markup: r#""isaccessibleforfree"\s*:\s*"?false"# },
    Vendor {
        name: "Piano",
        markup: r"tinypass|cdn\.piano\.io|\btp\.experience|piano-(?:offer|inline|paywall|template)",
    },
    Vendor { name: "Poool", markup: r"poool\.fr|poool-widget" },
    Vendor { name: "LaterPay", markup: r"laterpay" },
    Vendor { name: "Zephr", markup: r"zephr" },
    Vendor { name: "Pelcro", markup: r"pelcro" },
    Vendor {
        name: "paywall markup",
        markup: r#"(?:class|id)\s*=\s*["'][^"']*\b(?:paywall|pay-wall|regwall|reg-wall|premium-wall|subscriber-wall|meter-wall|piano-paywall)\b[^"']*["']|data-paywall"#,
    },
];

/// Bot-protection services.
pub const BOT_VENDORS: &[Vendor] = &[
    Vendor {
        name: "Cloudflare challenge",
        markup: r"/cdn-cgi/challenge-platform|cf-browser-verification|cf_chl_|cf-turnstile|challenges\.cloudflare\.com|cf-error-details",
    },
    Vendor { name: "Imperva", markup: r"_incapsula_resource|incapsula" },
    Vendor { name: "DataDome", markup: r"captcha-delivery\.com|datadome" },
    Vendor { name: "PerimeterX", markup: r"px-captcha|_pxappid|perimeterx|human-challenge" },
    Vendor { name: "Akamai", markup: r"errors(?:\.|&#46;)edgesuite(?:\.|&#46;)net|akamai-bot" },
    Vendor { name: "AWS WAF", markup: r"awswaf|aws-waf-token" },
    Vendor { name: "Sucuri", markup: r"sucuri" },
    Vendor { name: "CAPTCHA", markup: r"hcaptcha\.com|h-captcha|google\.com/recaptcha|g-recaptcha|captcha-container" },
];

/// Elements a single-page app mounts into.
pub static MOUNT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<div[^>]*\bid\s*=\s*["'](?:root|app|__next|__nuxt|___gatsby|svelte|main-app|app-root)["']|<app-root\b|\bng-app\b|data-reactroot"#)
        .expect("mount markup compiles")
});

/// Sign-in pages by their URL.
pub static LOGIN_URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/(?:log-?in|sign-?in|sign_in|logon|auth|authenticate|sso|oauth2?|openid|anmelden|anmeldung|einloggen|connexion|se-connecter|identification|iniciar-sesion|acceso|accedi|entrar|login\.php|account/login|accounts/login|users/sign_in)(?:[/?#.]|$)")
        .expect("login URLs compile")
});

/// "Not found" pages by their URL.
pub static NOT_FOUND_URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:/|\b)(?:404|not-?found|page-?not-?found|error)(?:[/?#.]|$)").expect("compiles")
});

/// Compiles a vendor table (once per table).
pub fn compile(vendors: &'static [Vendor]) -> Vec<(&'static str, Regex)> {
    vendors
        .iter()
        .map(|v| (v.name, Regex::new(&format!("(?i){}", v.markup)).expect("vendor markup compiles")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_compiles_and_matches_its_own_words() {
        assert!(CONSENT_RE.is_match("nous et nos 812 partenaires"));
        assert!(CONSENT_LABEL_RE.is_match("Alle akzeptieren"));
        assert!(!CONSENT_LABEL_RE.is_match("Accept all the blame for the delay"));
        assert!(PAYWALL_RE.is_match("il vous reste 82% de cet article à lire"));
        assert!(BOT_RE.is_match("just a moment..."));
        assert!(NOT_FOUND_RE.is_match("pagina non trovata"));
        assert!(LOGIN_URL_RE.is_match("https://example.com/account/login?return_to=%2Fstory"));
        assert!(!LOGIN_URL_RE.is_match("https://example.com/news/authors-of-the-plan"));
        for table in [CONSENT_VENDORS, PAYWALL_VENDORS, BOT_VENDORS] {
            assert_eq!(compile(table).len(), table.len());
        }
        assert!(ANY_RE.is_match("accès refusé"));
    }
}
