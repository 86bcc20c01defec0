/*
 * config.h: the pksync configuration file (INI: [section], key = value).
 *
 * The file is found at -c FILE, else $PKSYNC_CONF, else
 * SYSCONFDIR/pksync/pksync.conf.  Every key has a default, a type and
 * bounds in one table (config.c); unknown keys and bad values are
 * errors reported as "file:line: message".  Relative paths are made
 * relative to the folder of the config file.  '#' and ';' start a
 * comment anywhere on a line.  See etc/pksync.conf for every key.
 */
#ifndef PKS_UTIL_CONFIG_H
#define PKS_UTIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/rc.h"

struct pks_config {
	char *path; /* the file read, or NULL for defaults */

	/* [server] */
	char *datadir;     /* folder of the database */
	char *dbfile;      /* datadir/pksync.db unless set */
	char *http_listen; /* host:port */
	char *http_host;   /* parsed from http_listen */
	uint16_t http_port;
	char *hostname;
	char *nodename;
	char *contact;
	int http_threads;       /* worker threads (0 = 2 x cores) */
	size_t max_post;        /* bytes in one POST body */
	size_t max_matches;     /* keys one search may return */
	size_t armor_cache;     /* bytes of armored keys kept for op=get */
	size_t index_cache;     /* bytes of mr op=index answers kept */
	size_t db_mmap;         /* bytes of the database HKP reads mapped */
	int busy_timeout_ms;    /* SQLite busy timeout */
	int log_level;          /* 0 warn, 1 info, 2 debug */
	int max_connections;    /* open HKP connections in all */
	int max_conns_per_addr; /* from one address (IPv6: /64); 0 none */
	int idle_timeout;       /* s without traffic before a close */
	int header_timeout;     /* s to send a request header */
	int body_timeout;       /* s to send a request body */
	size_t body_budget;     /* bytes of request bodies held at once */
	size_t reply_budget;    /* bytes of answers held for slow readers */
	size_t reply_per_addr;  /* of them, for one client address */
	int add_per_minute;     /* /pks/add per address; 0 none */
	int search_per_minute;  /* word and e-mail searches per address */
	char *trusted_proxies;  /* IPs whose X-Forwarded-For is believed */
	char *user; /* started as root: become this user ("": refuse) */
	/* GET /metrics answered (else 404), to clients in metrics_allow
	 * (networks, util/cidr.h) */
	int metrics;
	char *metrics_allow;

	/* [mail] */
	char *this_site;       /* a bare address (display name dropped) */
	char *maintainer;      /* From: form: "addr" or "Name <addr>" */
	char *maintainer_addr; /* the bare address of maintainer */
	char *relay;
	char *peers_file;
	size_t max_mail_size;     /* bytes of one incoming message */
	int filter_sync;          /* mail-filter: 0 once it is on disk */
	size_t max_reply_keys;    /* keys in one mail reply */
	int max_last_days;        /* largest n of LAST n; 0 refuses LAST */
	int max_replies_per_hour; /* replies to one address; 0: none */
	int max_replies_total_per_hour; /* replies of the server; 0: none */
	size_t max_reply_size;          /* bytes of a reply's keys or listing */
	char *accept_incrementals;      /* "peers" or "anyone" */
	char *help_dir;              /* folder of the pks_help.<lang> files */
	char *default_language;      /* help language when none is asked */
	size_t max_incremental_size; /* key bytes in one outgoing incremental */
	int queue_retry;             /* first back-off of queue-run (seconds) */
	int queue_retry_max;         /* longest back-off (seconds) */
	int queue_max_age;        /* seconds queued before failed; 0: never */
	int messages_per_session; /* queue-run: messages per SMTP session */
	int smtp_sessions;        /* queue-run: SMTP sessions at once */

	/* [recon] */
	char *recon_listen; /* NULL: recon off */
	char *membership_file;
	int gossip_interval;      /* seconds */
	int recon_fetch_delay;    /* responder's wait before fetching (s) */
	int recon_fetch_timeout;  /* hashquery connect and each read (s) */
	int recon_config_timeout; /* config exchange and verdicts (s) */
	int recon_read_timeout;   /* any later recon read (s) */
	int recon_fetch_deadline; /* one whole hashquery request (s) */
	size_t recon_max_lack;    /* elements one session may find missing */

	/* [network]: pksync network and /pks/trace */
	size_t net_max_servers; /* servers on the map */
	int net_max_depth;      /* hops from the start that are visited */
	int net_deadline;       /* s for a whole crawl (and a trace) */
	int net_timeout;        /* s to connect and for each read */
	size_t net_max_page;    /* bytes of one answer */
	int net_concurrency;    /* requests at once */
	int net_allow_private;  /* follow peers into private ranges */
	char *net_mail_hkp;     /* "ADDRESS=URL ..." mail peers' HKP URLs */
	int net_min_interval;   /* s between crawls (and traces of a key) */
	int net_trace_gap;      /* s between traces of any keys */
	size_t net_max_keys;    /* traced keys /pks/trace remembers */
	/* [import] */
	size_t import_batch_keys; /* keys per import transaction */
	size_t import_bulk_batch; /* the same, empty database */
	size_t import_cache;      /* bytes of page cache while importing */
	size_t import_chunk;      /* bytes of input read at a time */
	size_t import_threads;    /* threads of an import (0: online CPUs) */
	size_t import_inflight;   /* keys prepared ahead of the writer */
	int import_bulk;          /* empty database: indexes at the end */
	size_t import_word_sort;  /* word rows sorted before written */

	/* [keys]: also in force through pks_key_limits() once read */
	size_t key_max_bytes;   /* bytes of a stored key (merged result) */
	size_t key_max_packets; /* packets of a stored key */
	size_t served_certs;    /* third-party certs per uid served */
	size_t issuer_verify;   /* certifications verified per merge */
	size_t issuer_waits;    /* certifications waiting, per key */
	size_t issuer_remarks;  /* keys marked again per new key */
	size_t word_bytes;      /* listing copies kept with words */
	char *served_prefer;    /* "known" or "newest" */
};

/*
 * Read the config.  path NULL means $PKSYNC_CONF or the default path; a
 * missing default file gives the built-in defaults (and cfg->path NULL),
 * a missing named file is an error.  On error, msg (if not NULL) gets a
 * "file:line: message" text owned by the caller.  *out is owned by the
 * caller (config_free).
 */
enum pks_rc config_load(const char *path, struct pks_config **out, char **msg);

/*
 * The same from an open stream: path names it in messages and anchors
 * relative paths.  f NULL gives the built-in defaults.  The stream is
 * read, not closed.
 */
enum pks_rc config_read(
    FILE *f, const char *path, struct pks_config **out, char **msg);

void config_free(struct pks_config *cfg);

/*
 * Split a mailbox "local@domain", "Name <local@domain>" or
 * "\"Name\" <local@domain>" into its display name as a header needs it
 * ("" if none; in quotes when it holds more than letters, digits and
 * spaces) and its address.  Only ASCII; PKS_ERR_CONFIG when malformed.
 * Both results are owned by the caller.
 */
enum pks_rc config_parse_mailbox(const char *in, char **name, char **addr);

/* Parse "host:port" (IPv4, [IPv6] or name).  *host is owned by caller. */
enum pks_rc config_parse_hostport(const char *s, char **host, uint16_t *port);

#endif
