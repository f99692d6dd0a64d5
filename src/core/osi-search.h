/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-backup-info.h"

G_BEGIN_DECLS

typedef struct _OsiSearchQuery OsiSearchQuery;

/* The terms of text as a query reads them: the words between Unicode
 * blanks, of text made valid UTF-8. Empty for NULL or blank text. */
GStrv           osi_search_split_terms        (const char           *text);
OsiSearchQuery *osi_search_query_new          (const char           *text);
void            osi_search_query_free         (OsiSearchQuery       *query);
gboolean        osi_search_query_is_empty     (const OsiSearchQuery *query);
gboolean        osi_search_query_matches      (const OsiSearchQuery *query,
                                               OsiBackupInfo        *info);

/* The backups of a list laid out for searching: the folded names in one
 * buffer and the local dates in one array, so that a query scans memory
 * once per term instead of visiting 100,000 objects. It holds no
 * reference: the items must outlive it. */
typedef struct _OsiSearchIndex OsiSearchIndex;

OsiSearchIndex *osi_search_index_new          (OsiBackupInfo * const *items,
                                               guint                 n_items);
void            osi_search_index_free         (OsiSearchIndex       *index);
guint           osi_search_index_get_n_items  (const OsiSearchIndex *index);
/* Appends to positions (guint) the positions of the items the query
 * matches, ascending: the same items as osi_search_query_matches (). */
void            osi_search_index_filter       (const OsiSearchIndex *index,
                                               const OsiSearchQuery *query,
                                               GArray               *positions);

/* Case folding plus removal of accents: "Été" -> "ete". */
char           *osi_search_fold               (const char           *text);
/* "JJ/MM/AAAA HH:MM" in local time. */
char           *osi_format_date               (GDateTime            *date);
/* Text from a backup or a server as a terminal or a label may show it:
 * controls, line separators and bidirectional overrides written as \xNN
 * or \uNNNN (and a backslash doubled), so that nothing in it can move a
 * terminal's cursor, recolour it or pass for other text. Invalid UTF-8
 * is repaired. NULL gives "?". */
char           *osi_format_untrusted          (const char           *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiSearchQuery, osi_search_query_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiSearchIndex, osi_search_index_free)

G_END_DECLS
