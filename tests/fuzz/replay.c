/*
 * replay.c: the standalone driver that replays a fuzz target's corpus.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c.  Without arguments it reads
 * every file in $PKS_SRCDIR/tests/fuzz/corpus/<name>/ (name = program
 * name without the "fuzz_" prefix) and feeds each to
 * LLVMFuzzerTestOneInput; with arguments, those files.  A crash or a
 * sanitizer report fails the test; each file is one TAP result.
 */
#include <config.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nfiles;

static void
replay_file(const char *path)
{
	size_t len = 0;
	uint8_t *data = tap_read_file(path, &len);

	nfiles++;
	if (data == NULL) {
		printf("not ok %d - %s (unreadable)\n", nfiles, path);
		return;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %d - %s\n", nfiles, path);
	fflush(stdout);
}

static int
replay_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		printf("not ok 1 - no corpus at %s\n1..1\n", dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			int r = snprintf(path, sizeof(path), "%s/%s", dir,
			    ents[i]->d_name);

			if (r > 0 && (size_t)r < sizeof(path))
				replay_file(path);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/');
	char dir[4096];
	int i;

	prog = prog ? prog + 1 : argv[0];
	if (strncmp(prog, "lt-", 3) == 0)
		prog += 3;
	if (strncmp(prog, "fuzz_", 5) == 0)
		prog += 5;
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay_file(argv[i]);
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    getenv("PKS_SRCDIR") ? getenv("PKS_SRCDIR") : ".", prog);
		if (replay_dir(dir) != 0)
			return 1;
	}
	printf("1..%d\n", nfiles);
	return 0;
}
