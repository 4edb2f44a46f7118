#include <sys/ioctl.h>
#include <unistd.h>
#include "mle_editline.h"
#include <histedit.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static EditLine *el = NULL;
static History *hist = NULL;
static HistEvent ev;
static char prompt_buffer[256] = "mle> ";
static mle_completer swift_completer = NULL;
static volatile sig_atomic_t sigint_flag = 0;

static char *prompt_fn(EditLine *e) { (void)e; return prompt_buffer; }

static unsigned char complete_fn(EditLine *e, int ch) {
    (void)ch;
    if (swift_completer == NULL) return CC_ERROR;
    const LineInfo *li = el_line(e);
    size_t n = (size_t)(li->cursor - li->buffer);
    char *before = malloc(n + 1);
    if (before == NULL) return CC_ERROR;
    memcpy(before, li->buffer, n);
    before[n] = '\0';
    char *insert = NULL, *listing = NULL;
    int found = swift_completer(before, &insert, &listing);
    free(before);
    unsigned char result = found ? CC_REFRESH : CC_REFRESH_BEEP;
    if (insert != NULL) {
        if (insert[0] != '\0') el_insertstr(e, insert);
        free(insert);
    }
    if (listing != NULL) {
        fprintf(stdout, "\n%s\n", listing);
        fflush(stdout);
        free(listing);
        result = CC_REDISPLAY;
    }
    return result;
}

int mle_el_open(const char *program, mle_completer completer) {
    setlocale(LC_CTYPE, "");
    swift_completer = completer;
    el = el_init(program, stdin, stdout, stderr);
    if (el == NULL) return -1;
    hist = history_init();
    if (hist != NULL) {
        history(hist, &ev, H_SETSIZE, 5000);
        history(hist, &ev, H_SETUNIQUE, 1);
        el_set(el, EL_HIST, history, hist);
    }
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_ADDFN, "mle-complete", "Complete the word at the cursor", complete_fn);
    el_set(el, EL_BIND, "^I", "mle-complete", NULL);
    el_source(el, NULL);  /* ~/.editrc, if the user has one */
    return 0;
}

void mle_el_close(void) {
    if (el != NULL) { el_end(el); el = NULL; }
    if (hist != NULL) { history_end(hist); hist = NULL; }
}

void mle_el_set_prompt(const char *prompt) {
    strncpy(prompt_buffer, prompt, sizeof(prompt_buffer) - 1);
    prompt_buffer[sizeof(prompt_buffer) - 1] = '\0';
}

const char *mle_el_gets(int *count) {
    if (el == NULL) { *count = 0; return NULL; }
    return el_gets(el, count);
}

void mle_el_reset(void) { if (el != NULL) el_reset(el); }

void mle_history_add(const char *line) {
    if (hist != NULL) history(hist, &ev, H_ENTER, line);
}

static void on_sigint(int sig) { (void)sig; sigint_flag = 1; }

void mle_install_sigint_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  /* no SA_RESTART: a blocking read returns EINTR, so el_gets gives up */
    sigaction(SIGINT, &sa, NULL);
}

int mle_interrupted(void) { return sigint_flag != 0; }
void mle_clear_interrupted(void) { sigint_flag = 0; }

void mle_write_stdout(const char *text) { fputs(text, stdout); fflush(stdout); }
void mle_write_stderr(const char *text) { fputs(text, stderr); fflush(stderr); }

int mle_terminal_columns(void) {
    struct winsize ws;
    if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return 0;
    return ws.ws_col;
}
