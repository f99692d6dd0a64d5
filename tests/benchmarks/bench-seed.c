/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "bench-seed.h"

/* Notes as administrators write them: short or a few lines, some with
 * accents and typographic quotes. */
static const char * const notes[] = {
  "Before the migration of the search index",
  "Avant la mise à jour du modèle d’embeddings — vérifiée à la main",
  "Knowledge base re-imported after the schema change.\nChecked by the on-call engineer: the 312 "
  "documents of the legal corpus answer again.",
  "Last backup of 2024",
  "Keep: the state the audit of « conformité RGPD » was run on.\tTicket OPS-1142",
};

void
bench_catalog_entry (OsiCatalogEntry *entry,
                     guint            i,
                     const char      *name,
                     gint64           made_at,
                     char           **note)
{
  guint kind = i % 100;

  *entry = (OsiCatalogEntry) { .name = name };
  if (kind < 86)
    entry->kind = OSI_CATALOG_KIND_SCHEDULED;
  else if (kind < 94)
    entry->kind = OSI_CATALOG_KIND_MANUAL;
  else if (kind < 97)
    entry->kind = OSI_CATALOG_KIND_SAFETY;
  else
    entry->kind = OSI_CATALOG_KIND_UPLOAD;
  *note = NULL;
  if (i % 10 == 3)
    {
      *note = g_strdup_printf ("%s (%u)", notes[(i / 10) % G_N_ELEMENTS (notes)], i);
      entry->note = *note;
    }
  if (i % 5 != 0)
    {
      if (i % 100 == 42)
        entry->verdict = OSI_CATALOG_VERDICT_NOT_RESTORABLE;
      else if (i % 20 == 13)
        entry->verdict = OSI_CATALOG_VERDICT_UNPROVEN;
      else
        entry->verdict = OSI_CATALOG_VERDICT_RESTORABLE;
      entry->verified_at = made_at + 3600 * (1 + (gint64)(i % 47));
    }
  entry->is_protected = i % 50 == 7;
}

gboolean
bench_seed_catalog (const char    *backup_dir,
                    char * const  *names,
                    const gint64  *made_at,
                    guint          n)
{
  g_autoptr(OsiCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree OsiCatalogEntry *entries = g_new (OsiCatalogEntry, n);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  for (guint i = 0; i < n; i++)
    {
      char *note;

      bench_catalog_entry (&entries[i], i, names[i], made_at[i], &note);
      if (note != NULL)
        g_ptr_array_add (strings, note);
    }
  catalog = osi_catalog_open (backup_dir, &error);
  ok = catalog != NULL && osi_catalog_set_entries (catalog, entries, n, &error);
  if (!ok)
    g_printerr ("%s: cannot fill the catalog of %s: %s\n", g_get_prgname (), backup_dir, error->message);
  return ok;
}
