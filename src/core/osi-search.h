/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-backup-info.h"

G_BEGIN_DECLS

typedef struct _OsiSearchQuery OsiSearchQuery;

OsiSearchQuery *osi_search_query_new          (const char           *text);
void            osi_search_query_free         (OsiSearchQuery       *query);
gboolean        osi_search_query_is_empty     (const OsiSearchQuery *query);
gboolean        osi_search_query_matches      (const OsiSearchQuery *query,
                                               OsiBackupInfo        *info);

/* Case folding plus removal of accents: "Été" -> "ete". */
char           *osi_search_fold               (const char           *text);
/* "JJ/MM/AAAA HH:MM" in local time. */
char           *osi_format_date               (GDateTime            *date);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiSearchQuery, osi_search_query_free)

G_END_DECLS
