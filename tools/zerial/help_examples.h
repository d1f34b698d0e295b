/* Worked examples printed by `zerial help COMMAND` (tools/zerial/help_examples.c), kept apart from
 * the cmd_*.c files so that the documentation of every subcommand lives in one table. */
#ifndef ZERIAL_HELP_EXAMPLES_H
#define ZERIAL_HELP_EXAMPLES_H

/** Worked examples of subcommand @p name: lines "  # what it does" followed by "  $ command";
 * NULL when the table has none. Static storage. */
const char *zr_cli_help_examples(const char *name);

#endif
