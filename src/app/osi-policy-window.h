/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "osi-policy.h"
#include "osi-window.h"

G_BEGIN_DECLS

#define OSI_TYPE_POLICY_WINDOW (osi_policy_window_get_type ())

G_DECLARE_FINAL_TYPE (OsiPolicyWindow, osi_policy_window, OSI, POLICY_WINDOW, AdwWindow)

/* "Schedule and Retention" for the server of window's client (docs/api.md
 * §6): loads the server's policy at once. On a server without "policy"
 * it says so and offers only a clean-up, planned here with its counts. */
OsiPolicyWindow *osi_policy_window_new          (OsiWindow       *window);

/* What the tests look at and do. */

/* "loading", "policy", "unsupported" or "error". */
const char      *osi_policy_window_get_state    (OsiPolicyWindow *self);
/* TRUE while the policy is read or saved. */
gboolean         osi_policy_window_get_working  (OsiPolicyWindow *self);
/* The message shown over the page (a refused policy's reason), NULL
 * when none; the last toast's title. */
const char      *osi_policy_window_get_message  (OsiPolicyWindow *self);
const char      *osi_policy_window_get_last_toast (OsiPolicyWindow *self);
/* The subtitles of "Next Backup" and "Next Verification". */
const char      *osi_policy_window_get_next_backup_text (OsiPolicyWindow *self);
const char      *osi_policy_window_get_next_verify_text (OsiPolicyWindow *self);
/* The latest runs' rows: their number, and the title and subtitle of one. */
guint            osi_policy_window_get_n_runs   (OsiPolicyWindow *self);
char            *osi_policy_window_dup_run_text (OsiPolicyWindow *self,
                                                 guint            i);
/* The policy as the page shows it (time zone: the server's). */
void             osi_policy_window_get_policy   (OsiPolicyWindow *self,
                                                 OsiPolicy       *policy);
/* Shows policy on the page, as if typed. */
void             osi_policy_window_set_policy   (OsiPolicyWindow *self,
                                                 const OsiPolicy *policy);
/* As the Save button and the Clean Up… button. */
void             osi_policy_window_save         (OsiPolicyWindow *self);
void             osi_policy_window_prune        (OsiPolicyWindow *self);

G_END_DECLS
