/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "osi-diff.h"

G_BEGIN_DECLS

#define OSI_TYPE_DIFF_WINDOW (osi_diff_window_get_type ())

G_DECLARE_FINAL_TYPE (OsiDiffWindow, osi_diff_window, OSI, DIFF_WINDOW, AdwWindow)

/* What changes from a_label (before) to b_label (after), per section. */
OsiDiffWindow *osi_diff_window_new      (GtkWindow     *parent,
                                         OsiDiff       *diff,
                                         const char    *a_label,
                                         const char    *b_label);
OsiDiff       *osi_diff_window_get_diff (OsiDiffWindow *self);

G_END_DECLS
