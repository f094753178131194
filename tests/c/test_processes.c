/* Several OS processes on one store (SPEC §7, §9): a code is approved once across processes, a
 * challenge takes no more wrong answers than its attempt limit, and what one process wrote the
 * next one reads after the first has exited.
 *
 * Every test runs on SQLite (a file in a new temporary directory) and on PostgreSQL (the URL in
 * WATCHWORD_TEST_PG_URL; without it the PostgreSQL part fails, unless WATCHWORD_TEST_PG=skip).
 * The workers are this program started again with `--worker STORE_URL SERVICE` (argv[0]): each
 * opens the service and answers one command per line of its stdin with one line on its stdout,
 * so the processes start once per test and are driven round by round. WW_TEST_RACE_ROUNDS
 * (default 200) sets the rounds of the race.
 *
 * Commands: "challenge IDENTITY FACTOR_SID CODE NOW", "answer IDENTITY CHALLENGE_SID CODE NOW",
 * "enroll IDENTITY NOW" (answers "ok SID SECRET_BASE32"), "verify IDENTITY FACTOR_SID CODE NOW",
 * "quit". Answers: "ok RESULT" or "error KIND"; the first line is "ready" (or "error KIND").
 *
 * Usage: test_processes [vectors dir (unused)] */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "json.h"

extern char **environ;

#define MAX_WORKERS 16
#define LINE 1024
static const uint64_t T0 = 1700000010; /* 10 s into a 30 s step */

/* --- the worker ------------------------------------------------------------------------------ */

/* Writes `s` as a JSON string (quotes and backslashes escaped; URLs hold no control characters). */
static void json_string(char *out, size_t cap, const char *s) {
    size_t n = 0;
    if (cap < 3) return;
    out[n++] = '"';
    for (; *s != '\0' && n + 3 < cap; s++) {
        if (*s == '"' || *s == '\\') out[n++] = '\\';
        out[n++] = *s;
    }
    out[n++] = '"';
    out[n] = '\0';
}

static ww_status open_service(const char *store, const char *service, ww_service **out) {
    char settings[2 * LINE], url[LINE + 8], name[160];
    json_string(url, sizeof url, store);
    json_string(name, sizeof name, service);
    snprintf(settings, sizeof settings, "{\"issuer\": \"Race\", \"store\": %s, \"service\": %s}", url, name);
    return ww_service_new(settings, out);
}

/* Prints "ok <member>" of the JSON answer, or "error <kind>". */
static void reply(ww_status st, char *answer, const char *member) {
    if (st == WW_STATUS_OK) {
        char err[64];
        json_value *v = json_parse(answer, strlen(answer), err, sizeof err);
        const char *value = json_str(v, member);
        printf("ok %s\n", value != NULL ? value : "null");
        json_free(v);
    } else {
        printf("error %s\n", ww_status_kind(st));
    }
    ww_string_free(answer);
    fflush(stdout);
}

static int worker_main(const char *store, const char *service) {
    ww_service *svc = NULL;
    char line[LINE];
    ww_status st = open_service(store, service, &svc);
    if (st != WW_STATUS_OK) {
        printf("error %s\n", ww_status_kind(st));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin) != NULL) {
        char command[16] = "", a[128] = "", b[128] = "", c[128] = "", options[192];
        unsigned long long now = 0;
        char *answer = NULL;
        int fields = sscanf(line, "%15s %127s %127s %127s %llu", command, a, b, c, &now);
        if (strcmp(command, "quit") == 0) break;
        /* The call first, then the reply: `answer` is written by the call. */
        if (strcmp(command, "challenge") == 0 && fields == 5) {
            snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", c);
            st = ww_service_create_challenge(svc, a, b, NULL, 0, options, now, NULL, &answer);
            reply(st, answer, "result");
        } else if (strcmp(command, "answer") == 0 && fields == 5) {
            st = ww_service_update_challenge(svc, a, b, c, strlen(c), "", now, NULL, &answer);
            reply(st, answer, "result");
        } else if (strcmp(command, "verify") == 0 && fields == 5) {
            st = ww_service_verify_factor(svc, a, b, c, strlen(c), now, NULL, &answer);
            reply(st, answer, "result");
        } else if (strcmp(command, "enroll") == 0 && sscanf(line, "%15s %127s %llu", command, a, &now) == 3) {
            st = ww_service_create_factor(svc, a, "phone", "", now, &answer);
            if (st == WW_STATUS_OK) {
                char err[64];
                json_value *v = json_parse(answer, strlen(answer), err, sizeof err);
                const char *sid = json_str(v, "sid"), *secret = json_str(json_get(v, "binding"), "secret");
                printf("ok %s %s\n", sid != NULL ? sid : "-", secret != NULL ? secret : "-");
                json_free(v);
                ww_string_free(answer);
                fflush(stdout);
            } else {
                reply(st, answer, "sid");
            }
        } else {
            printf("error unknown_command\n");
            fflush(stdout);
        }
    }
    ww_service_free(svc);
    return 0;
}

/* --- the test side --------------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    FILE *to;   /* the worker's stdin */
    FILE *from; /* the worker's stdout */
} worker;

static const char *self_path;

/* Starts a worker; returns 0 when it could not be started or did not say "ready". */
static int start(worker *w, const char *store, const char *service) {
    int in[2], out[2];
    char line[LINE];
    posix_spawn_file_actions_t actions;
    char *argv[5];
    w->pid = -1;
    w->to = w->from = NULL;
    if (pipe(in) != 0 || pipe(out) != 0) return 0;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    argv[0] = (char *)self_path;
    argv[1] = (char *)"--worker";
    argv[2] = (char *)store;
    argv[3] = (char *)service;
    argv[4] = NULL;
    if (posix_spawn(&w->pid, self_path, &actions, NULL, argv, environ) != 0) w->pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    w->to = fdopen(in[1], "w");
    w->from = fdopen(out[0], "r");
    if (w->pid < 0 || w->to == NULL || w->from == NULL) return 0;
    if (fgets(line, sizeof line, w->from) == NULL) return 0;
    return CHECK(strcmp(line, "ready\n") == 0, "worker %d: %s", (int)w->pid, line);
}

static void send_line(worker *w, const char *line) {
    fputs(line, w->to);
    fputc('\n', w->to);
    fflush(w->to);
}

/* The worker's next answer (without the newline) in `out`; "(exited)" when it is gone. */
static void receive(worker *w, char *out, size_t cap) {
    if (fgets(out, (int)cap, w->from) == NULL) {
        snprintf(out, cap, "(exited)");
        return;
    }
    out[strcspn(out, "\n")] = '\0';
}

/* Asks the worker to quit, waits for it; returns its exit status (-1 when it did not exit). */
static int stop(worker *w) {
    int status = -1;
    if (w->to != NULL) {
        send_line(w, "quit");
        fclose(w->to);
    }
    if (w->from != NULL) fclose(w->from);
    if (w->pid > 0 && waitpid(w->pid, &status, 0) == w->pid && WIFEXITED(status)) return WEXITSTATUS(status);
    return -1;
}

static void stop_all(worker *workers, int n) {
    int i;
    for (i = 0; i < n; i++) CHECK(stop(&workers[i]) == 0, "worker %d exits cleanly", i);
}

static int start_all(worker *workers, int n, const char *store, const char *service) {
    int i, ok = 1;
    for (i = 0; i < n; i++) ok &= start(&workers[i], store, service);
    return ok;
}

/* Sends one command to every worker at once, then reads their answers. Returns how many
 * answered `want`. */
static int broadcast(worker *workers, int n, const char *line, const char *want, char answers[][64]) {
    int i, matched = 0;
    for (i = 0; i < n; i++) send_line(&workers[i], line);
    for (i = 0; i < n; i++) {
        receive(&workers[i], answers[i], 64);
        matched += strcmp(answers[i], want) == 0;
    }
    return matched;
}

static void print_answers(char answers[][64], int n) {
    int i;
    for (i = 0; i < n; i++) fprintf(stderr, "  process %d: %s\n", i, answers[i]);
}

/* A new, verified factor of `identity` at `now`: its sid and a TOTP of its secret. */
static int verified_factor(ww_service *svc, const char *identity, uint64_t now, char *sid, size_t cap, ww_totp **totp) {
    char *out = NULL, err[64], code[WW_CODE_BUFFER_SIZE];
    uint8_t secret[64];
    size_t len = 0;
    json_value *v;
    int ok = 0;
    *totp = NULL;
    if (!CHECK_STATUS(ww_service_create_factor(svc, identity, "phone", "", now, &out), WW_STATUS_OK, "create_factor")) {
        return 0;
    }
    v = json_parse(out, strlen(out), err, sizeof err);
    if (json_str(v, "sid") != NULL && strlen(json_str(v, "sid")) < cap &&
        ww_base32_decode(json_str(json_get(v, "binding"), "secret"), secret, sizeof secret, &len) == WW_STATUS_OK &&
        ww_totp_new(secret, len, WW_ALGORITHM_SHA1, 6, 30, 0, totp) == WW_STATUS_OK) {
        strcpy(sid, json_str(v, "sid"));
        ok = 1;
    }
    json_free(v);
    ww_string_free(out);
    out = NULL;
    if (!CHECK(ok, "a factor with its secret")) return 0;
    ww_totp_generate(*totp, now, code, sizeof code, &len);
    ok = CHECK_STATUS(ww_service_verify_factor(svc, identity, sid, code, strlen(code), now, NULL, &out), WW_STATUS_OK,
                      "verify_factor") &&
         CHECK(strstr(out, "\"result\":\"approved\"") != NULL, "enrolled: %s", out);
    ww_string_free(out);
    return ok;
}

/* 8 processes present the same right code for the same factor at the same time. */
static void test_race(const char *store, const char *service, long rounds) {
    worker workers[8];
    char answers[8][64], line[LINE];
    ww_service *svc = NULL;
    long round;
    if (!CHECK_STATUS(open_service(store, service, &svc), WW_STATUS_OK, "service")) return;
    if (start_all(workers, 8, store, service)) {
        for (round = 0; round < rounds; round++) {
            char identity[40], sid[64], code[WW_CODE_BUFFER_SIZE];
            uint64_t now = T0 + (uint64_t)round * 90;
            size_t len;
            ww_totp *totp = NULL;
            int approved, replayed, i;
            snprintf(identity, sizeof identity, "race-%04ld-user", round);
            if (!verified_factor(svc, identity, now, sid, sizeof sid, &totp)) {
                ww_totp_free(totp);
                break;
            }
            ww_totp_generate(totp, now + 30, code, sizeof code, &len);
            ww_totp_free(totp);
            snprintf(line, sizeof line, "challenge %s %s %s %llu", identity, sid, code, (unsigned long long)(now + 30));
            approved = broadcast(workers, 8, line, "ok approved", answers);
            replayed = 0;
            for (i = 0; i < 8; i++) replayed += strcmp(answers[i], "ok replayed") == 0;
            if (!CHECK(approved == 1 && replayed == 7, "%s round %ld: %d approved, %d replayed", store, round, approved,
                       replayed)) {
                print_answers(answers, 8);
                break;
            }
        }
    }
    stop_all(workers, 8);
    ww_service_free(svc);
}

/* 16 processes answer one pending challenge with a wrong code at the same time. */
static void test_attempt_limit(const char *store, const char *service, long rounds) {
    worker workers[MAX_WORKERS];
    char answers[MAX_WORKERS][64], line[LINE];
    ww_service *svc = NULL;
    const int limit = 5; /* the default challenge_attempts */
    long round;
    if (!CHECK_STATUS(open_service(store, service, &svc), WW_STATUS_OK, "service")) return;
    if (start_all(workers, MAX_WORKERS, store, service)) {
        for (round = 0; round < rounds; round++) {
            char identity[40], sid[64], challenge[64] = "", wrong[16], *out = NULL, err[64];
            uint64_t now = T0 + (uint64_t)round * 90;
            ww_totp *totp = NULL;
            int through, refused, i, n;
            snprintf(identity, sizeof identity, "wrong-%04ld-user", round);
            if (!verified_factor(svc, identity, now, sid, sizeof sid, &totp)) {
                ww_totp_free(totp);
                break;
            }
            if (CHECK_STATUS(ww_service_create_challenge(svc, identity, sid, NULL, 0, "", now + 30, NULL, &out), WW_STATUS_OK,
                             "pending challenge")) {
                json_value *v = json_parse(out, strlen(out), err, sizeof err);
                if (json_str(v, "sid") != NULL) snprintf(challenge, sizeof challenge, "%s", json_str(v, "sid"));
                json_free(v);
            }
            ww_string_free(out);
            /* A code that matches no step within four steps of now. */
            for (n = 0; n < 1000000; n++) {
                int near = 0, d;
                snprintf(wrong, sizeof wrong, "%06d", n);
                for (d = -4; d <= 4; d++) {
                    char code[WW_CODE_BUFFER_SIZE];
                    size_t len;
                    ww_totp_generate(totp, now + 30 + (uint64_t)(d * 30), code, sizeof code, &len);
                    near |= strcmp(code, wrong) == 0;
                }
                if (!near) break;
            }
            ww_totp_free(totp);
            snprintf(line, sizeof line, "answer %s %s %s %llu", identity, challenge, wrong, (unsigned long long)(now + 30));
            through = broadcast(workers, MAX_WORKERS, line, "ok invalid_code", answers);
            refused = 0;
            for (i = 0; i < MAX_WORKERS; i++) refused += strcmp(answers[i], "error challenge_attempts_reached") == 0;
            if (!CHECK(through == limit && refused == MAX_WORKERS - limit, "%s round %ld: %d answers through, %d refused",
                       store, round, through, refused)) {
                print_answers(answers, MAX_WORKERS);
                break;
            }
        }
    }
    stop_all(workers, MAX_WORKERS);
    ww_service_free(svc);
}

/* A factor enrolled by one process is verified by the next after the first has exited; a
 * service opened again sees both. */
static void test_persistence(const char *store, const char *service) {
    worker w;
    char line[LINE], answer[LINE], sid[64] = "", secret[160] = "", code[WW_CODE_BUFFER_SIZE], *out = NULL;
    const char *identity = "persist-0001-user";
    uint8_t key[128];
    size_t len = 0;
    ww_totp *totp = NULL;
    ww_service *svc = NULL;
    if (start(&w, store, service)) {
        snprintf(line, sizeof line, "enroll %s %llu", identity, (unsigned long long)T0);
        send_line(&w, line);
        receive(&w, answer, sizeof answer);
        CHECK(sscanf(answer, "ok %63s %159s", sid, secret) == 2, "enrolled: %s", answer);
    }
    CHECK(stop(&w) == 0, "the first process exited");
    if (!CHECK(ww_base32_decode(secret, key, sizeof key, &len) == WW_STATUS_OK &&
                   ww_totp_new(key, len, WW_ALGORITHM_SHA1, 6, 30, 0, &totp) == WW_STATUS_OK,
               "the secret of the enrollment")) {
        return;
    }
    ww_totp_generate(totp, T0 + 30, code, sizeof code, &len);
    ww_totp_free(totp);
    if (start(&w, store, service)) {
        snprintf(line, sizeof line, "verify %s %s %s %llu", identity, sid, code, (unsigned long long)(T0 + 30));
        send_line(&w, line);
        receive(&w, answer, sizeof answer);
        CHECK(strcmp(answer, "ok approved") == 0, "the second process verifies it: %s", answer);
        /* The replay floor is in the store too. */
        snprintf(line, sizeof line, "challenge %s %s %s %llu", identity, sid, code, (unsigned long long)(T0 + 31));
        send_line(&w, line);
        receive(&w, answer, sizeof answer);
        CHECK(strcmp(answer, "ok replayed") == 0, "the same code again: %s", answer);
    }
    CHECK(stop(&w) == 0, "the second process exited");
    if (CHECK_STATUS(open_service(store, service, &svc), WW_STATUS_OK, "reopened")) {
        CHECK_STATUS(ww_service_fetch_factor(svc, identity, sid, T0 + 31, &out), WW_STATUS_OK, "fetch_factor");
        CHECK(out != NULL && strstr(out, "\"status\":\"verified\"") != NULL, "verified: %s", out);
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_list_challenges(svc, identity, "", T0 + 31, &out), WW_STATUS_OK, "list_challenges");
        CHECK(out != NULL && strstr(out, "\"status\":\"pending\"") != NULL, "the challenge: %s", out);
        ww_string_free(out);
        ww_service_free(svc);
    }
}

static void run_all(const char *store, const char *service, long rounds) {
    test_race(store, service, rounds);
    test_attempt_limit(store, service, rounds / 20 > 3 ? rounds / 20 : 3);
    test_persistence(store, service);
}

int main(int argc, char **argv) {
    const char *env = getenv("WW_TEST_RACE_ROUNDS"), *pg = getenv("WATCHWORD_TEST_PG_URL");
    long rounds = env != NULL ? strtol(env, NULL, 10) : 200;
    char dir[] = "/tmp/watchword-c-XXXXXX", store[LINE], path[LINE];
    if (argc == 4 && strcmp(argv[1], "--worker") == 0) return worker_main(argv[2], argv[3]);
    if (rounds <= 0) rounds = 200;
    self_path = argv[0];
    signal(SIGPIPE, SIG_IGN); /* a worker that died shows as "(exited)", not as a signal */

    if (CHECK(mkdtemp(dir) != NULL, "a temporary directory")) {
        snprintf(store, sizeof store, "sqlite:///%s/watchword.db", dir);
        run_all(store, "default", rounds);
        snprintf(path, sizeof path, "%s/watchword.db", dir);
        remove(path);
        snprintf(path, sizeof path, "%s/watchword.db-wal", dir);
        remove(path);
        snprintf(path, sizeof path, "%s/watchword.db-shm", dir);
        remove(path);
        CHECK(rmdir(dir) == 0, "the temporary directory is removed (no stray files)");
    }

    if (pg != NULL && pg[0] != '\0') {
        char service[64];
        snprintf(service, sizeof service, "race-c-%ld-%lu", (long)getpid(), (unsigned long)ww_unix_now());
        run_all(pg, service, rounds);
    } else if (getenv("WATCHWORD_TEST_PG") != NULL && strcmp(getenv("WATCHWORD_TEST_PG"), "skip") == 0) {
        printf("test_processes: PostgreSQL skipped (WATCHWORD_TEST_PG=skip)\n");
    } else {
        CHECK(0, "WATCHWORD_TEST_PG_URL is not set: the PostgreSQL process tests need a database "
                 "(WATCHWORD_TEST_PG=skip skips them)");
    }
    return finish("test_processes");
}
