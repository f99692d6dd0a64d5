/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-diff.h"
#include "osi-verify-report.h"

G_BEGIN_DECLS

typedef enum
{
  /* A that does not exist, or is an empty folder, compares as empty: a
   * server whose data folder has not been filled yet. */
  OSI_DIFF_MISSING_A_IS_EMPTY = 1 << 0,
} OsiDiffFlags;

/* osi_diff_compare, and B's verification report when B is an archive
 * (also when it failed verification, so that a server can send it). */
OsiDiff *osi_diff_compare_full (const char        *a,
                                const char        *b,
                                OsiDiffFlags       flags,
                                OsiVerifyReport  **out_report_b,
                                GCancellable      *cancellable,
                                GError           **error);

/* The same with B an archive already open on b_fd (read from its first
 * byte; the descriptor stays open), named b_name: what the caller opened
 * and checked is what is compared. */
OsiDiff *osi_diff_compare_archive_fd (const char        *a,
                                      int                b_fd,
                                      const char        *b_name,
                                      OsiDiffFlags       flags,
                                      OsiVerifyReport  **out_report_b,
                                      GCancellable      *cancellable,
                                      GError           **error);

/* What the JSON calls A and B ("current" and the backup's name rather
 * than where a server keeps them). */
void     osi_diff_set_labels   (OsiDiff           *self,
                                const char        *a,
                                const char        *b);

/* Reads a knowledge base held in memory, fed in two pieces cut at split,
 * as a comparison reads one; returns a fingerprint of its entries' digests
 * (the same for the same content written otherwise, whatever the cut) and
 * their number, or NULL with the error a comparison would give. For tests
 * and the fuzz target. */
char    *osi_diff_fingerprint_knowledge_base (const guint8  *data,
                                              gsize          len,
                                              gsize          split,
                                              guint         *out_entries,
                                              GError       **error);

G_END_DECLS
