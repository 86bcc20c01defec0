/*
 * hkp_add.c: POST /pks/add.
 *
 * The body is application/x-www-form-urlencoded; every "keytext" field
 * (any order, any other fields) is decoded and the texts are given to
 * ingest_text() in one call, so all keys of a post are one transaction.
 * The answer lists each key: new, updated, unchanged (with its
 * fingerprint) or refused with the reason; a bad key does not stop the
 * good ones.  200 if at least one key was accepted (gpg counts only
 * 200 as success), 400 if every key was refused or there was none.
 * options=mr (in the form or the URL) gives text/plain, else HTML: a
 * list with a link to each stored key's verbose index, and a way back
 * to the front page; a failure is then an HTML page as well.
 */
#include <config.h>

#include <string.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "ingest/ingest.h"
#include "pgp/pgp_fpr.h"
#include "util/log.h"

struct add_state {
	struct buf lines; /* one line (mr) or list item (HTML) per key */
	int html;
	enum pks_rc rc; /* first failure to append a line */
};

static const char *const outcome_word[] = {
	[INGEST_NEW] = "new",
	[INGEST_UPDATED] = "updated",
	[INGEST_UNCHANGED] = "unchanged",
};

/* One key in the HTML answer: what happened, and a link to its
 * verbose index when it is stored. */
static enum pks_rc
html_result(struct buf *out, const struct ingest_result *res, const char *hex)
{
	enum pks_rc rc;

	if (res->outcome != INGEST_NEW && res->outcome != INGEST_UPDATED &&
	    res->outcome != INGEST_UNCHANGED) {
		rc = buf_printf(
		    out, "<li>refused%s%s: ", res->have_fpr ? " 0x" : "", hex);
		if (rc == PKS_OK)
			rc = hkp_html_escapes(
			    out, res->why != NULL ? res->why : "unusable key");
		return rc == PKS_OK ? buf_adds(out, "</li>\n") : rc;
	}
	rc = buf_printf(out,
	    "<li>%s <a href=\"/pks/lookup?op=vindex&amp;fingerprint=on&amp;"
	    "search=0x%s\">0x%s</a>",
	    outcome_word[res->outcome], hex, hex);
	if (rc == PKS_OK && res->outcome == INGEST_UPDATED)
		rc = buf_printf(out, " (%zu new packets)", res->added);
	return rc == PKS_OK ? buf_adds(out, "</li>\n") : rc;
}

static void
on_result(void *arg, const struct ingest_result *res)
{
	struct add_state *as = arg;
	char hex[2 * PGP_FPR_MAX + 1] = "";
	enum pks_rc rc;

	if (res->have_fpr)
		pgp_hex(res->fpr.fpr, res->fpr.len, hex);
	if (as->html) {
		rc = html_result(&as->lines, res, hex);
		if (as->rc == PKS_OK)
			as->rc = rc;
		return;
	}
	switch (res->outcome) {
	case INGEST_NEW:
		rc = buf_printf(&as->lines, "new 0x%s\n", hex);
		break;
	case INGEST_UPDATED:
		rc = buf_printf(&as->lines, "updated 0x%s (%zu new packets)\n",
		    hex, res->added);
		break;
	case INGEST_UNCHANGED:
		rc = buf_printf(&as->lines, "unchanged 0x%s\n", hex);
		break;
	default:
		rc = buf_printf(&as->lines, "refused%s%s: %s\n",
		    res->have_fpr ? " 0x" : "", hex,
		    res->why != NULL ? res->why : "unusable key");
		break;
	}
	if (as->rc == PKS_OK)
		as->rc = rc;
}

/* Join every keytext field with newlines. */
static enum pks_rc
collect_keytext(const struct hkp_form *form, struct buf *text)
{
	size_t i;
	enum pks_rc rc = PKS_OK;

	for (i = 0; i < form->n && rc == PKS_OK; i++) {
		if (form->v[i].namelen != 7 ||
		    memcmp(form->v[i].name, "keytext", 7) != 0)
			continue;
		if (text->len > 0)
			rc = buf_addc(text, '\n');
		if (rc == PKS_OK)
			rc = buf_add(text, form->v[i].value, form->v[i].len);
	}
	return rc;
}

static int
want_mr(const struct hkp_ctx *ctx, const struct hkp_form *form)
{
	const struct hkp_field *f;

	f = hkp_form_get(form, "options");
	if (f != NULL && (hkp_options_parse(f->value, f->len) & HKP_OPT_MR))
		return 1;
	f = hkp_form_get(ctx->args, "options");
	return f != NULL && (hkp_options_parse(f->value, f->len) & HKP_OPT_MR);
}

/* The way back from an answer page. */
#define HTML_BACK "<p><a href=\"/\">Submit another key or search</a></p>\n"

static enum pks_rc
write_reply(struct hkp_reply *r, int mr, const struct buf *lines,
    const struct ingest_stats *st)
{
	enum pks_rc rc = PKS_OK;

	if (mr) {
		r->type = "text/plain; charset=utf-8";
		rc = buf_add(&r->body, lines->data, lines->len);
	} else {
		rc = hkp_html_begin(&r->body, "Key submission");
		if (rc == PKS_OK)
			rc = buf_adds(&r->body, "<ul>\n");
		if (rc == PKS_OK)
			rc = buf_add(&r->body, lines->data, lines->len);
		if (rc == PKS_OK)
			rc = buf_adds(&r->body, "</ul>\n<p>");
	}
	if (rc == PKS_OK)
		rc = buf_printf(&r->body,
		    "%zu new, %zu updated, %zu unchanged, "
		    "%zu refused\n",
		    st->nnew, st->nupdated, st->nunchanged, st->nrefused);
	if (rc == PKS_OK && !mr)
		rc = buf_adds(&r->body, "</p>\n" HTML_BACK);
	if (rc == PKS_OK && !mr)
		rc = hkp_html_end(&r->body);
	return rc;
}

/*
 * A failed submission from a browser: an HTML page with the reason and
 * the status rc maps to (instead of the server's one-line text), so
 * the person sees what went wrong and has a way back.
 */
static enum pks_rc
html_failure(struct hkp_ctx *ctx, enum pks_rc rc, struct hkp_reply *r)
{
	int status = pks_rc_http(rc);

	buf_reset(&r->body);
	if (hkp_html_begin(&r->body, "Key submission failed") != PKS_OK ||
	    buf_adds(&r->body, "<p>") != PKS_OK ||
	    hkp_html_escapes(&r->body,
		ctx->why != NULL ? ctx->why : pks_rc_str(rc)) != PKS_OK ||
	    buf_adds(&r->body, "</p>\n" HTML_BACK) != PKS_OK ||
	    hkp_html_end(&r->body) != PKS_OK)
		return rc; /* the server answers in plain text */
	r->status = status;
	return PKS_OK;
}

static enum pks_rc
ingest_fail(struct hkp_ctx *ctx, enum pks_rc rc)
{
	switch (rc) {
	case PKS_ERR_NOTFOUND:
		return hkp_fail(ctx, PKS_ERR_PARSE,
		    "no OpenPGP public key "
		    "found in keytext");
	case PKS_ERR_BUSY:
		return hkp_fail(ctx, rc, "database busy; try again later");
	case PKS_ERR_TOOBIG:
		return hkp_fail(ctx, rc, "keytext too large");
	default:
		log_warnx("hkp: add: %s", pks_rc_str(rc));
		return hkp_fail(ctx, rc, "the keys could not be stored");
	}
}

static enum pks_rc
add_text(
    struct hkp_ctx *ctx, const struct buf *text, int mr, struct hkp_reply *r)
{
	struct add_state as;
	struct ingest_stats stats;
	struct ingest_origin origin;
	struct ingest_sync *sync = NULL;
	struct store *st;
	enum pks_rc rc;

	memset(&stats, 0, sizeof(stats));
	memset(&origin, 0, sizeof(origin));
	buf_init(&as.lines, HKP_MAX_REPLY / 2);
	as.html = !mr;
	as.rc = PKS_OK;
	rc = hkp_ctx_store(ctx, &st);
	/* New packets go to every mail sync peer (the outbox). */
	if (rc == PKS_OK && ctx->sync != NULL &&
	    (rc = ctx->sync->get(ctx->sync->arg, &sync)) != PKS_OK)
		rc = hkp_fail(ctx, rc, "the mail sync list cannot be read");
	if (rc == PKS_OK) {
		origin.src = INGEST_HKP;
		origin.sync = sync;
		rc = ingest_text(st, &origin, (const char *)text->data,
		    text->len, on_result, &as, &stats);
		if (rc != PKS_OK)
			rc = ingest_fail(ctx, rc);
	}
	ingest_sync_free(sync);
	if (rc == PKS_OK)
		rc = as.rc;
	if (rc == PKS_OK)
		rc = write_reply(r, mr, &as.lines, &stats);
	if (rc == PKS_OK && stats.nnew + stats.nupdated + stats.nunchanged == 0)
		r->status = 400;
	if (rc == PKS_OK)
		log_info("hkp: add: %zu new, %zu updated, %zu unchanged, "
			 "%zu refused, %zu mails queued",
		    stats.nnew, stats.nupdated, stats.nunchanged,
		    stats.nrefused, stats.nqueued);
	buf_free(&as.lines);
	return rc;
}

enum pks_rc
hkp_add(struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct hkp_form form;
	struct pks_err err = { 0, NULL };
	struct buf text;
	int mr;
	enum pks_rc rc;

	(void)q;
	hkp_form_init(&form);
	buf_init(&text, ctx->bodylen + 1);
	rc =
	    hkp_form_decode(&form, (const char *)ctx->body, ctx->bodylen, &err);
	mr = want_mr(ctx, &form);
	if (rc != PKS_OK) {
		rc = hkp_fail(ctx, rc, err.why);
		goto out;
	}
	rc = collect_keytext(&form, &text);
	if (rc != PKS_OK || text.len == 0) {
		rc = hkp_fail(ctx, PKS_ERR_PARSE, "missing keytext");
		goto out;
	}
	rc = add_text(ctx, &text, mr, r);
out:
	if (rc != PKS_OK && !mr)
		rc = html_failure(ctx, rc, r);
	buf_free(&text);
	hkp_form_free(&form);
	return rc;
}
