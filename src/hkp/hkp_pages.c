/*
 * hkp_pages.c: the front page and the shared stylesheet.
 *
 * The front page is plain HTML5: two forms that work without
 * JavaScript (a GET to /pks/lookup with the HKP arguments search, op,
 * fingerprint and exact; a POST of "keytext" to /pks/add, which answers
 * a browser with an HTML page), a few lines on how to use the server
 * with gpg, and the contact key.  The stylesheet is small, fluid (one
 * column, readable on a phone) and follows the reader's light or dark
 * preference.
 */
#include <config.h>

#include <string.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_pages.h"

/* The front page may be cached briefly; the stylesheet's URL changes
 * with each release, so it may be cached for a year. */
#define FRONT_CACHE "public, max-age=300"
#define STYLE_CACHE "public, max-age=31536000, immutable"

static const char style_css[] =
    ":root{color-scheme:light dark;--fg:#1d232b;--bg:#fbfbf9;"
    "--muted:#5b6470;--line:#d9dde2;--box:#fff;--link:#1d5ea8}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#e3e6ea;--bg:#15181c;"
    "--muted:#9aa3ad;--line:#343a42;--box:#1d2126;--link:#7fb2ec}}\n"
    "html{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Noto Sans\",sans-serif;line-height:1.5;color:var(--fg);"
    "background:var(--bg);-webkit-text-size-adjust:100%}\n"
    "body{max-width:60rem;margin:0 auto;padding:0 1rem 2rem}\n"
    "nav{padding:.7rem 0;border-bottom:1px solid var(--line)}\n"
    "nav a{margin-right:1.2rem}\n"
    "a{color:var(--link)}\n"
    "h1{font-size:1.45rem;font-weight:600;margin:1.2rem 0 .8rem;"
    "overflow-wrap:anywhere}\n"
    "h2{font-size:1.15rem;font-weight:600;margin:1.8rem 0 .5rem}\n"
    "p,li{overflow-wrap:anywhere}\n"
    "pre,code,textarea{font-family:ui-monospace,\"DejaVu Sans Mono\","
    "Menlo,Consolas,monospace;font-size:.88rem}\n"
    "pre{overflow-x:auto;background:var(--box);border:1px solid "
    "var(--line);border-radius:4px;padding:.7rem;line-height:1.35}\n"
    "table{border-collapse:collapse;display:block;overflow-x:auto;"
    "margin:.5rem 0}\n"
    "td,th{padding:.2rem .7rem .2rem 0;text-align:left;vertical-align:top;"
    "border-bottom:1px solid var(--line)}\n"
    "form{margin:0}\n"
    "label{display:inline-block;margin:0 1.1rem .3rem 0}\n"
    "label.field{display:block;margin-bottom:.3rem;color:var(--muted)}\n"
    "input[type=search],textarea{box-sizing:border-box;width:100%;"
    "padding:.5rem .6rem;font-size:1rem;color:inherit;"
    "background:var(--box);border:1px solid var(--line);"
    "border-radius:4px}\n"
    "textarea{min-height:10rem;resize:vertical}\n"
    "fieldset{border:0;margin:.6rem 0 0;padding:0}\n"
    "legend{padding:0;color:var(--muted)}\n"
    "button{font-size:1rem;padding:.45rem 1.3rem;color:#fff;"
    "background:var(--link);border:0;border-radius:4px;cursor:pointer}\n"
    ".hint,footer{color:var(--muted);font-size:.92rem}\n"
    "footer{margin-top:2.5rem;border-top:1px solid var(--line);"
    "padding-top:.6rem}\n";

static const char search_form[] =
    "<h2>Find a key</h2>\n"
    "<form action=\"/pks/lookup\" method=\"get\">\n"
    "<p><label class=\"field\" for=\"search\">Name, e-mail address, "
    "key ID or fingerprint</label>\n"
    "<input type=\"search\" id=\"search\" name=\"search\" required "
    "maxlength=\"200\" spellcheck=\"false\"></p>\n"
    "<fieldset>\n<legend>Show</legend>\n"
    "<label><input type=\"radio\" name=\"op\" value=\"index\" checked> "
    "the keys found</label>\n"
    "<label><input type=\"radio\" name=\"op\" value=\"vindex\"> "
    "with their signatures</label>\n"
    "<label><input type=\"radio\" name=\"op\" value=\"get\"> "
    "the keys themselves (ASCII armor)</label>\n"
    "</fieldset>\n"
    "<p><label><input type=\"checkbox\" name=\"fingerprint\" value=\"on\"> "
    "show fingerprints</label>\n"
    "<label><input type=\"checkbox\" name=\"exact\" value=\"on\"> "
    "exact match only</label></p>\n"
    "<p><button type=\"submit\">Search</button></p>\n"
    "</form>\n"
    "<p class=\"hint\">Words match user IDs; an e-mail address matches "
    "that address; a key ID or fingerprint starts with 0x "
    "(0x followed by 8, 16, 40 or 64 hex digits) and also finds "
    "subkeys.</p>\n";

static const char add_form[] =
    "<h2>Submit a key</h2>\n"
    "<form action=\"/pks/add\" method=\"post\">\n"
    "<p><label class=\"field\" for=\"keytext\">Your public key, "
    "ASCII-armored (the output of "
    "<code>gpg --armor --export KEYID</code>)</label>\n"
    "<textarea id=\"keytext\" name=\"keytext\" rows=\"10\" cols=\"64\" "
    "required spellcheck=\"false\"></textarea></p>\n"
    "<p><button type=\"submit\">Submit</button></p>\n"
    "</form>\n"
    "<p class=\"hint\">What you submit is public and is passed on to "
    "other keyservers; keys cannot be deleted, only updated (for "
    "example with a revocation).</p>\n";

/* "0x" and hex digits only: safe in a URL and in HTML as it is. */
static int
is_keyid(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return 0;
	n = strspn(s + 2, "0123456789abcdefABCDEF");
	return n >= 8 && s[2 + n] == '\0';
}

static enum pks_rc
front_gpg(struct buf *out, const struct pks_config *cfg)
{
	const char *host = cfg->hostname != NULL ? cfg->hostname : "";
	enum pks_rc rc;

	rc = buf_adds(out, "<h2>With GnuPG</h2>\n<pre>gpg --keyserver hkp://");
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, host);
	if (rc == PKS_OK)
		rc = buf_adds(out, " --search-keys alice@example.org\n"
				   "gpg --keyserver hkp://");
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, host);
	if (rc == PKS_OK)
		rc = buf_adds(out, " --send-keys KEYID</pre>\n");
	return rc;
}

static enum pks_rc
front_footer(struct buf *out, const struct pks_config *cfg)
{
	enum pks_rc rc;

	rc = buf_adds(out, "<footer>pksync " PACKAGE_VERSION);
	if (rc == PKS_OK && is_keyid(cfg->contact))
		rc = buf_printf(out,
		    " &middot; server contact "
		    "<a href=\"/pks/lookup?op=vindex&amp;search=%s\">%s</a>",
		    cfg->contact, cfg->contact);
	else if (rc == PKS_OK && cfg->contact != NULL &&
		 cfg->contact[0] != '\0') {
		rc = buf_adds(out, " &middot; server contact ");
		if (rc == PKS_OK)
			rc = hkp_html_escapes(out, cfg->contact);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "</footer>\n");
	return rc;
}

enum pks_rc
hkp_page_front(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	const struct pks_config *cfg = ctx->cfg;
	struct buf title;
	enum pks_rc rc;

	(void)q;
	buf_init(&title, 512);
	rc = buf_adds(&title, "OpenPGP keyserver ");
	if (rc == PKS_OK && cfg->hostname != NULL)
		rc = buf_add(&title, cfg->hostname, strlen(cfg->hostname));
	if (rc == PKS_OK)
		rc = buf_addc(&title, '\0');
	if (rc == PKS_OK)
		rc = hkp_html_begin(&r->body, (const char *)title.data);
	if (rc == PKS_OK)
		rc = buf_adds(&r->body,
		    "<p>This server keeps OpenPGP public keys, finds them for "
		    "you, and passes every new key and signature on to other "
		    "keyservers: by e-mail, as PKS servers do, and by SKS "
		    "reconciliation (<a href=\"" HKP_SYNC_PATH "\">how keys "
		    "travel</a>).</p>\n");
	if (rc == PKS_OK)
		rc = buf_adds(&r->body, search_form);
	if (rc == PKS_OK)
		rc = buf_adds(&r->body, add_form);
	if (rc == PKS_OK)
		rc = front_gpg(&r->body, cfg);
	if (rc == PKS_OK)
		rc = front_footer(&r->body, cfg);
	if (rc == PKS_OK)
		rc = hkp_html_end(&r->body);
	buf_free(&title);
	r->type = "text/html; charset=utf-8";
	r->cache = FRONT_CACHE;
	return rc == PKS_OK ? PKS_OK : hkp_fail(ctx, rc, NULL);
}

enum pks_rc
hkp_page_style(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	enum pks_rc rc;

	(void)q;
	rc = buf_add(&r->body, style_css, sizeof(style_css) - 1);
	r->type = "text/css; charset=utf-8";
	r->cache = STYLE_CACHE;
	return rc == PKS_OK ? PKS_OK : hkp_fail(ctx, rc, NULL);
}
