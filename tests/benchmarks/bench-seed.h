/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The server's catalog as the benchmarks fill it: what a server that made
 * and verified the backups of years would record of them (docs/api.md
 * §6.2), written through the server's own code (osi-catalog.c), so that
 * the lists they time carry the catalog's members. */

#include <glib.h>

#include "osi-catalog.h"

G_BEGIN_DECLS

/* Entry i of such a catalog, for the backup name made at made_at
 * (seconds since the epoch): every backup has a kind (most scheduled,
 * some manual, safety or upload), one in ten a note (*note, to free;
 * NULL when none), four in five a verification some hours after it was
 * made (most restorable), one in fifty is protected. No checksum. */
void         bench_catalog_entry    (OsiCatalogEntry *entry,
                                     guint            i,
                                     const char      *name,
                                     gint64           made_at,
                                     char           **note);

/* Writes entries 0 to n - 1 (names[i] made at made_at[i]) into the
 * catalog of backup_dir, in one transaction, before the server starts:
 * it reads them at start. FALSE with a message when it cannot. */
gboolean     bench_seed_catalog     (const char      *backup_dir,
                                     char * const    *names,
                                     const gint64    *made_at,
                                     guint            n);

G_END_DECLS
