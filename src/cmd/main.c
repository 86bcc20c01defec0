/*
 * main.c: the pksync command line: global options, then one subcommand.
 */
#include <config.h>

#include <stdio.h>

int
main(void)
{
	puts("pksync");
	return 0;
}
