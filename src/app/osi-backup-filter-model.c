/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The list model that filters the backup list as the user types.
 *
 * GtkFilterListModel asks a GtkFilter about each item, one virtual call
 * and one reference at a time: about 18 ms per keystroke over 100,000
 * backups, more than a frame. This model keeps the source's items in an
 * array with an OsiSearchIndex beside it, so a query is a few passes over
 * packed memory, and it tells its own listeners only about the range that
 * changed. The source is read again, whole, when it changes: that happens
 * on a refresh or a new sort order, not on a keystroke. */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include "osi-backup-badges.h"
#include "osi-backup-filter-model.h"
#include "osi-list-changes.h"

struct _OsiBackupFilterModel
{
  GObject         parent_instance;

  GListModel     *source;
  GPtrArray      *items;      /* the source's items, in its order */
  OsiSearchIndex *index;      /* over items */
  OsiSearchQuery *query;      /* NULL: everything */
  GArray         *positions;  /* guint, into items: what is shown */

  /* docs/api.md §6: the words of a backup's badges (kind, verdict,
   * protection, note; osi-backup-badges.h), folded, each item's followed
   * by '\0', back to back as the index lays out names; NULL when no item
   * has any, which is every list of a server without a policy: the
   * query then goes to the index alone, as fast as before. */
  char           *tags;
  guint32        *tag_offsets;
  /* The query's terms, folded, when it came as text (set_search). */
  GStrv           terms;
};

static void osi_backup_filter_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OsiBackupFilterModel, osi_backup_filter_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      osi_backup_filter_model_list_model_init))

static GType
osi_backup_filter_model_get_item_type (GListModel *model)
{
  return OSI_TYPE_BACKUP_INFO;
}

static guint
osi_backup_filter_model_get_n_items (GListModel *model)
{
  return OSI_BACKUP_FILTER_MODEL (model)->positions->len;
}

static gpointer
osi_backup_filter_model_get_item (GListModel *model,
                                  guint       position)
{
  OsiBackupFilterModel *self = OSI_BACKUP_FILTER_MODEL (model);

  if (position >= self->positions->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, g_array_index (self->positions, guint, position)));
}

static void
osi_backup_filter_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = osi_backup_filter_model_get_item_type;
  iface->get_n_items = osi_backup_filter_model_get_n_items;
  iface->get_item = osi_backup_filter_model_get_item;
}

/* What the model shows: items at positions. */
typedef struct
{
  GPtrArray *items;
  GArray    *positions;
} Shown;

static gconstpointer
shown_item (gconstpointer list,
            guint         i)
{
  const Shown *shown = list;

  return g_ptr_array_index (shown->items, g_array_index (shown->positions, guint, i));
}

static void
index_tags (OsiBackupFilterModel *self,
            GPtrArray            *items)
{
  g_autoptr(GByteArray) tags = NULL;
  gboolean any = FALSE;

  g_clear_pointer (&self->tags, g_free);
  g_clear_pointer (&self->tag_offsets, g_free);
  /* Most lists have none: one look at each item, nothing kept. */
  for (guint i = 0; i < items->len && !any; i++)
    {
      OsiBackupInfo *info = g_ptr_array_index (items, i);

      any = osi_backup_info_get_kind (info) != NULL || osi_backup_info_get_verdict (info) != NULL ||
            osi_backup_info_get_protected (info) || osi_backup_info_get_note (info) != NULL;
    }
  if (!any)
    return;
  tags = g_byte_array_new ();
  self->tag_offsets = g_new (guint32, items->len + 1);
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *words = osi_backup_dup_search_tags (g_ptr_array_index (items, i));

      self->tag_offsets[i] = tags->len;
      g_byte_array_append (tags, (const guint8 *)(words != NULL ? words : ""), words != NULL ? strlen (words) + 1 : 1);
    }
  self->tag_offsets[items->len] = tags->len;
  self->tags = (char *)g_byte_array_free (g_steal_pointer (&tags), FALSE);
}

/* Marks in hits the items whose tags hold term, as the index marks names;
 * the items the name or the date already matched are skipped, so that a
 * term most names hold ("b", "2026") costs next to nothing here. */
static void
mark_tags (OsiBackupFilterModel *self,
           guint                 n_items,
           const char           *term,
           guint8               *hits)
{
  gsize needle_len = strlen (term);
  const char *end = self->tags + self->tag_offsets[n_items];
  guint item = 0;

  while (item < n_items)
    {
      const char *p;
      const char *found;
      guint32 offset;

      while (item < n_items && hits[item])
        item++;
      if (item == n_items)
        break;
      p = self->tags + self->tag_offsets[item];
      found = memmem (p, (gsize)(end - p), term, needle_len);
      if (found == NULL)
        break;
      offset = (guint32)(found - self->tags);
      /* Hits come in order: walk forward to the item holding this one. */
      while (self->tag_offsets[item + 1] <= offset)
        item++;
      hits[item++] = 1;
    }
}

/* Every term must match the name, the date or the tags: the index answers
 * for the name and the date one term at a time, the tags are ORed in. */
static void
filter_with_tags (OsiBackupFilterModel *self,
                  guint                 n_items)
{
  g_autofree guint8 *matches = g_malloc (MAX (n_items, 1));
  g_autofree guint8 *hits = g_malloc (MAX (n_items, 1));
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint));

  memset (matches, 1, n_items);
  for (guint t = 0; self->terms[t] != NULL; t++)
    {
      g_autoptr(OsiSearchQuery) one = osi_search_query_new (self->terms[t]);
      g_autofree char *folded = osi_search_fold (self->terms[t]);

      g_array_set_size (found, 0);
      osi_search_index_filter (self->index, one, found);
      memset (hits, 0, n_items);
      for (guint i = 0; i < found->len; i++)
        hits[g_array_index (found, guint, i)] = 1;
      mark_tags (self, n_items, folded, hits);
      for (guint i = 0; i < n_items; i++)
        matches[i] &= hits[i];
    }
  for (guint i = 0; i < n_items; i++)
    if (matches[i])
      g_array_append_val (self->positions, i);
}

/* Shows what the query matches in items (which the model takes), and
 * tells listeners about the one range between the unchanged head and
 * tail: the window's page only cares whether its slice moved. */
static void
update (OsiBackupFilterModel *self,
        GPtrArray            *items)
{
  g_autoptr(GPtrArray) old_items = self->items;
  g_autoptr(GArray) old_positions = self->positions;
  Shown before = { old_items, old_positions };
  Shown after;

  if (items != old_items)
    {
      g_clear_pointer (&self->index, osi_search_index_free);
      self->index = osi_search_index_new ((OsiBackupInfo * const *)items->pdata, items->len);
      index_tags (self, items);
    }
  else
    g_ptr_array_ref (old_items);   /* the autoptr drops one */
  self->items = items;
  self->positions = g_array_sized_new (FALSE, FALSE, sizeof (guint), 64);
  if (self->query != NULL && self->tags != NULL && self->terms != NULL)
    filter_with_tags (self, items->len);
  else if (self->query != NULL)
    osi_search_index_filter (self->index, self->query, self->positions);
  else
    {
      g_array_set_size (self->positions, items->len);
      for (guint i = 0; i < items->len; i++)
        g_array_index (self->positions, guint, i) = i;
    }

  after = (Shown) { self->items, self->positions };
  osi_list_model_emit_changes (G_LIST_MODEL (self), &before, old_positions->len, &after, self->positions->len,
                               shown_item);
}

static void
on_source_items_changed (OsiBackupFilterModel *self,
                         guint                 position,
                         guint                 removed,
                         guint                 added,
                         GListModel           *source)
{
  guint n = g_list_model_get_n_items (source);
  GPtrArray *items = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (source, i));
  update (self, items);
}

static void
osi_backup_filter_model_dispose (GObject *object)
{
  OsiBackupFilterModel *self = OSI_BACKUP_FILTER_MODEL (object);

  if (self->source != NULL)
    g_signal_handlers_disconnect_by_func (self->source, on_source_items_changed, self);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (osi_backup_filter_model_parent_class)->dispose (object);
}

static void
osi_backup_filter_model_finalize (GObject *object)
{
  OsiBackupFilterModel *self = OSI_BACKUP_FILTER_MODEL (object);

  g_clear_pointer (&self->index, osi_search_index_free);
  g_clear_pointer (&self->query, osi_search_query_free);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->positions, g_array_unref);
  g_clear_pointer (&self->tags, g_free);
  g_clear_pointer (&self->tag_offsets, g_free);
  g_clear_pointer (&self->terms, g_strfreev);

  G_OBJECT_CLASS (osi_backup_filter_model_parent_class)->finalize (object);
}

static void
osi_backup_filter_model_class_init (OsiBackupFilterModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_backup_filter_model_dispose;
  object_class->finalize = osi_backup_filter_model_finalize;
}

static void
osi_backup_filter_model_init (OsiBackupFilterModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->index = osi_search_index_new (NULL, 0);
  self->positions = g_array_new (FALSE, FALSE, sizeof (guint));
}

OsiBackupFilterModel *
osi_backup_filter_model_new (GListModel *source)
{
  OsiBackupFilterModel *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (source), NULL);

  self = g_object_new (OSI_TYPE_BACKUP_FILTER_MODEL, NULL);
  self->source = g_object_ref (source);
  g_signal_connect_object (source, "items-changed", G_CALLBACK (on_source_items_changed), self,
                           G_CONNECT_SWAPPED);
  if (g_list_model_get_n_items (source) > 0)
    on_source_items_changed (self, 0, 0, g_list_model_get_n_items (source), source);
  return self;
}

GListModel *
osi_backup_filter_model_get_model (OsiBackupFilterModel *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FILTER_MODEL (self), NULL);

  return self->source;
}

void
osi_backup_filter_model_set_query (OsiBackupFilterModel *self,
                                   OsiSearchQuery       *query)
{
  g_return_if_fail (OSI_IS_BACKUP_FILTER_MODEL (self));

  g_clear_pointer (&self->query, osi_search_query_free);
  g_clear_pointer (&self->terms, g_strfreev);
  if (query != NULL && osi_search_query_is_empty (query))
    osi_search_query_free (query);
  else
    self->query = query;
  update (self, self->items);
}

void
osi_backup_filter_model_set_search (OsiBackupFilterModel *self,
                                    const char           *text)
{
  OsiSearchQuery *query;

  g_return_if_fail (OSI_IS_BACKUP_FILTER_MODEL (self));

  query = osi_search_query_new (text);
  g_clear_pointer (&self->query, osi_search_query_free);
  g_clear_pointer (&self->terms, g_strfreev);
  if (osi_search_query_is_empty (query))
    osi_search_query_free (query);
  else
    {
      self->query = query;
      self->terms = osi_search_split_terms (text);
    }
  update (self, self->items);
}

const OsiSearchQuery *
osi_backup_filter_model_get_query (OsiBackupFilterModel *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FILTER_MODEL (self), NULL);

  return self->query;
}
