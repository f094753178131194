/* The replay race through one shared service handle: 16 threads present the same fresh code at
 * the same instant, and exactly one of them is approved. Each round runs two races on a new
 * factor: 16 challenges created with the code (one "approved", fifteen "replayed"), then 16
 * answers to one pending challenge with the next step's code (one approval; the others are
 * "replayed" or find the challenge already responded). Then, in a tenth as many rounds, 16
 * threads redeem one recovery code of a new recovery_codes factor: one is approved, fifteen are
 * told it was used. */
#ifndef WW_TEST_RACE_H
#define WW_TEST_RACE_H

#include "harness.h"

/* Settings for a service the race runs on. Every losing racer's "replayed" counts as a failed
 * answer: a race adds up to 15 of them after its one approval, which resets the count, so a
 * lockout threshold of 20 never locks the factor. */
extern const char *const RACE_SETTINGS;

/* WW_TEST_RACE_ROUNDS, or 200. */
long race_rounds_wanted(void);

/* Runs `rounds` rounds on `svc` (made with RACE_SETTINGS), each on a fresh factor, checking
 * that every race has exactly one approval; prints a line naming the `store`. */
void race_rounds(ww_service *svc, long rounds, const char *store);

#endif
