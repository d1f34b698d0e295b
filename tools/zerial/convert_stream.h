/* zerial convert --stream: chunked, resumable conversion between JSON lines and zerial streams
 * (binary or Arrow chunks), and from Arrow-chunk streams to plain Arrow IPC streams. */
#ifndef ZERIAL_CLI_CONVERT_STREAM_H
#define ZERIAL_CLI_CONVERT_STREAM_H

/** Run `zerial convert ... --stream ...` (argv[0] is "convert"); returns an exit code. */
int zr_cli_convert_stream(int argc, char **argv);

#endif
