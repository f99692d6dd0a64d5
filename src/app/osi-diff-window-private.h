/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests look at. */

#include "osi-diff-window.h"

G_BEGIN_DECLS

/* TRUE when the "No Differences" page is shown. */
gboolean    osi_diff_window_get_empty_shown  (OsiDiffWindow  *self);
/* The section's counts as shown ("3 additions, 1 removal, 2 changes");
 * NULL when the section is not shown. */
const char *osi_diff_window_get_counts_text  (OsiDiffWindow  *self,
                                              OsiDiffSection  section);
/* The section's rows as "NAME\tKIND\tDETAIL". */
GStrv       osi_diff_window_dup_rows         (OsiDiffWindow  *self,
                                              OsiDiffSection  section);

G_END_DECLS
