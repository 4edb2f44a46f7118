#ifndef MLE_EDITLINE_H
#define MLE_EDITLINE_H
// Fixed-argument wrappers over libedit (el_set, el_get and history are variadic and cannot be
// called from Swift), plus the SIGINT flag the shell and long computations share.

/// Completion callback: given the text before the cursor, set *insert to text to insert at the
/// cursor and *listing to candidates to show (both malloc'd, or NULL). Return 0 if nothing matched.
typedef int (*mle_completer)(const char *before_cursor, char **insert, char **listing);

int mle_el_open(const char *program, mle_completer completer);
void mle_el_close(void);
void mle_el_set_prompt(const char *prompt);
/// Reads one line. Returns the line (owned by libedit, valid until the next call) or NULL;
/// *count is -1 on an interrupt or error, 0 at end of input.
const char *mle_el_gets(int *count);
void mle_el_reset(void);
void mle_history_add(const char *line);

void mle_install_sigint_handler(void);
int mle_interrupted(void);
void mle_clear_interrupted(void);
/// Writes text to stdout or stderr and flushes (Swift 6 cannot name the C streams).
void mle_write_stdout(const char *text);
void mle_write_stderr(const char *text);
/// The width of the terminal on standard output, or 0 when it is not a terminal.
int mle_terminal_columns(void);
#endif
