/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-diff-private.h"
#include "osi-diff-side-private.h"
#include "osi-diff.h"
#include "osi-error.h"

/* The comparison of two sides, each read on a thread of its own by
 * osi-diff-side.c through the streaming reader of osi-diff-reader.c (its
 * top says how entries become digests), and the result: OsiDiff, its
 * JSON and its sentences. */

/* ------------------------------------------------------------------------ */
/* The result                                                               */

struct _OsiDiff
{
  GObject    parent_instance;

  char      *a;
  char      *b;
  GPtrArray *changes[OSI_N_DIFF_SECTIONS];
  guint      unchanged[OSI_N_DIFF_SECTIONS];
};

G_DEFINE_FINAL_TYPE (OsiDiff, osi_diff, G_TYPE_OBJECT)

static void
osi_change_free (gpointer data)
{
  OsiChange *change = data;

  g_free (change->name);
  g_strfreev (change->fields);
  g_free (change);
}

static OsiChange *
change_new (OsiChangeKind  kind,
            const char    *name,
            gint64         size_a,
            gint64         size_b)
{
  OsiChange *change = g_new0 (OsiChange, 1);

  change->kind = kind;
  change->name = g_strdup (name);
  change->size_a = size_a;
  change->size_b = size_b;
  return change;
}

static int
change_compare (gconstpointer a,
                gconstpointer b)
{
  const OsiChange *x = *(OsiChange * const *)a;
  const OsiChange *y = *(OsiChange * const *)b;

  return strcmp (x->name, y->name);
}

static void
osi_diff_finalize (GObject *object)
{
  OsiDiff *self = OSI_DIFF (object);

  g_free (self->a);
  g_free (self->b);
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    g_clear_pointer (&self->changes[i], g_ptr_array_unref);

  G_OBJECT_CLASS (osi_diff_parent_class)->finalize (object);
}

static void
osi_diff_class_init (OsiDiffClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = osi_diff_finalize;
}

static void
osi_diff_init (OsiDiff *self)
{
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    self->changes[i] = g_ptr_array_new_with_free_func (osi_change_free);
}

/* A field named twice in an entry is listed once. */
static void
add_field (GStrvBuilder  *builder,
           const char   **last,
           const char    *name)
{
  if (*last == NULL || strcmp (*last, name) != 0)
    g_strv_builder_add (builder, name);
  *last = name;
}

/* The fields that differ between two versions of an entry; both lists
 * are sorted by name. */
static GStrv
entry_fields_diff (const Entry *a,
                   const Entry *b)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *last = NULL;
  guint i = 0;
  guint j = 0;

  while (i < a->n_fields || j < b->n_fields)
    {
      int c;

      if (i == a->n_fields)
        c = 1;
      else if (j == b->n_fields)
        c = -1;
      else
        c = strcmp (a->fields[i].name, b->fields[j].name);

      if (c < 0)
        add_field (builder, &last, a->fields[i++].name);
      else if (c > 0)
        add_field (builder, &last, b->fields[j++].name);
      else
        {
          if (!digest_equal (&a->fields[i].digest, &b->fields[j].digest))
            add_field (builder, &last, a->fields[i].name);
          i++;
          j++;
        }
    }
  return g_strv_builder_end (builder);
}

static void
compare_entries (OsiDiff *self,
                 Side    *a,
                 Side    *b)
{
  GPtrArray *changes = self->changes[OSI_DIFF_RAG];
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, a->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Entry *ea = value;
      const Entry *eb = g_hash_table_lookup (b->entries, key);

      if (eb == NULL)
        g_ptr_array_add (changes, change_new (OSI_CHANGE_REMOVED, key, -1, -1));
      else if (!digest_equal (&ea->whole, &eb->whole))
        {
          OsiChange *change = change_new (OSI_CHANGE_MODIFIED, key, -1, -1);

          change->fields = entry_fields_diff (ea, eb);
          g_ptr_array_add (changes, change);
        }
      else
        self->unchanged[OSI_DIFF_RAG]++;
    }

  g_hash_table_iter_init (&iter, b->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (a->entries, key))
      g_ptr_array_add (changes, change_new (OSI_CHANGE_ADDED, key, -1, -1));
}

static void
compare_files (OsiDiff *self,
               Side    *a,
               Side    *b)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, a->files);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const FileInfo *fa = value;
      const FileInfo *fb = g_hash_table_lookup (b->files, key);
      OsiDiffSection section = g_str_has_prefix (key, "config/") ? OSI_DIFF_CONFIG : OSI_DIFF_DATA;

      if (fb == NULL)
        g_ptr_array_add (self->changes[section], change_new (OSI_CHANGE_REMOVED, key, fa->size, -1));
      else if (fa->size != fb->size || strcmp (fa->sha256, fb->sha256) != 0)
        g_ptr_array_add (self->changes[section], change_new (OSI_CHANGE_MODIFIED, key, fa->size, fb->size));
      else
        self->unchanged[section]++;
    }

  g_hash_table_iter_init (&iter, b->files);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const FileInfo *fb = value;
      OsiDiffSection section = g_str_has_prefix (key, "config/") ? OSI_DIFF_CONFIG : OSI_DIFF_DATA;

      if (!g_hash_table_contains (a->files, key))
        g_ptr_array_add (self->changes[section], change_new (OSI_CHANGE_ADDED, key, -1, fb->size));
    }
}

static void
osi_diff_sort (OsiDiff *self)
{
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    g_ptr_array_sort (self->changes[i], change_compare);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

/* B is read from b_fd when it is not -1, else from the path b. */
static OsiDiff *
compare (const char        *a,
         const char        *b,
         int                b_fd,
         OsiDiffFlags       flags,
         OsiVerifyReport  **out_report_b,
         GCancellable      *cancellable,
         GError           **error)
{
  g_autoptr(OsiDiff) self = NULL;
  SideJob job_a = { .fd = -1 };
  SideJob job_b = { .fd = b_fd };
  GThread *thread;
  Digest key;
  gboolean ok;

  key.lo = ((guint64)g_random_int () << 32) | g_random_int ();
  key.hi = ((guint64)g_random_int () << 32) | g_random_int ();

  _osi_diff_side_init (&job_a.side, a, &key, cancellable);
  _osi_diff_side_init (&job_b.side, b, &key, cancellable);
  job_a.path = a;
  job_a.missing_is_empty = (flags & OSI_DIFF_MISSING_A_IS_EMPTY) != 0;
  job_b.path = b;

  /* The two sides are independent: read them at once. */
  thread = g_thread_try_new ("osi-diff", _osi_diff_side_thread, &job_b, NULL);
  _osi_diff_side_thread (&job_a);
  if (thread != NULL)
    g_thread_join (thread);
  else
    _osi_diff_side_thread (&job_b);

  if (out_report_b != NULL && job_b.side.report != NULL)
    *out_report_b = g_object_ref (job_b.side.report);

  ok = job_a.ok && job_b.ok;
  if (!ok)
    {
      if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        g_propagate_error (error, job_a.ok ? g_steal_pointer (&job_b.error) : g_steal_pointer (&job_a.error));
    }
  else if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      self = g_object_new (OSI_TYPE_DIFF, NULL);
      self->a = g_strdup (a);
      self->b = g_strdup (b);
      compare_entries (self, &job_a.side, &job_b.side);
      compare_files (self, &job_a.side, &job_b.side);
      osi_diff_sort (self);
    }

  g_clear_error (&job_a.error);
  g_clear_error (&job_b.error);
  _osi_diff_side_clear (&job_a.side);
  _osi_diff_side_clear (&job_b.side);
  return g_steal_pointer (&self);
}

OsiDiff *
osi_diff_compare_full (const char        *a,
                       const char        *b,
                       OsiDiffFlags       flags,
                       OsiVerifyReport  **out_report_b,
                       GCancellable      *cancellable,
                       GError           **error)
{
  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (b != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return compare (a, b, -1, flags, out_report_b, cancellable, error);
}

OsiDiff *
osi_diff_compare_archive_fd (const char        *a,
                             int                b_fd,
                             const char        *b_name,
                             OsiDiffFlags       flags,
                             OsiVerifyReport  **out_report_b,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (b_fd >= 0, NULL);
  g_return_val_if_fail (b_name != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return compare (a, b_name, b_fd, flags, out_report_b, cancellable, error);
}

OsiDiff *
osi_diff_compare (const char    *a,
                  const char    *b,
                  GCancellable  *cancellable,
                  GError       **error)
{
  return osi_diff_compare_full (a, b, 0, NULL, cancellable, error);
}

static void
compare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  char **paths = task_data;   /* A then B */
  GError *error = NULL;
  OsiDiff *diff = osi_diff_compare (paths[0], paths[1], cancellable, &error);

  if (diff != NULL)
    g_task_return_pointer (task, diff, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
osi_diff_compare_async (const char          *a,
                        const char          *b,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  const char *paths[] = { a, b, NULL };
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (a != NULL);
  g_return_if_fail (b != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_diff_compare_async);
  g_task_set_task_data (task, g_strdupv ((char **)paths), (GDestroyNotify)g_strfreev);
  g_task_run_in_thread (task, compare_thread);
}

OsiDiff *
osi_diff_compare_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_diff_compare_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
osi_diff_get_a (OsiDiff *self)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);
  return self->a;
}

const char *
osi_diff_get_b (OsiDiff *self)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);
  return self->b;
}

void
osi_diff_set_labels (OsiDiff    *self,
                     const char *a,
                     const char *b)
{
  g_return_if_fail (OSI_IS_DIFF (self));
  g_return_if_fail (a != NULL && b != NULL);

  g_free (self->a);
  self->a = g_strdup (a);
  g_free (self->b);
  self->b = g_strdup (b);
}

GPtrArray *
osi_diff_get_changes (OsiDiff        *self,
                      OsiDiffSection  section)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, NULL);
  return self->changes[section];
}

guint
osi_diff_count (OsiDiff        *self,
                OsiDiffSection  section,
                OsiChangeKind   kind)
{
  GPtrArray *changes;
  guint n = 0;

  g_return_val_if_fail (OSI_IS_DIFF (self), 0);
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, 0);

  changes = self->changes[section];
  for (guint i = 0; i < changes->len; i++)
    if (((OsiChange *)g_ptr_array_index (changes, i))->kind == kind)
      n++;
  return n;
}

guint
osi_diff_get_unchanged (OsiDiff        *self,
                        OsiDiffSection  section)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), 0);
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, 0);
  return self->unchanged[section];
}

gboolean
osi_diff_is_empty (OsiDiff *self)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), TRUE);

  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    if (self->changes[i]->len > 0)
      return FALSE;
  return TRUE;
}

const char *
osi_change_kind_to_string (OsiChangeKind kind)
{
  switch (kind)
    {
    case OSI_CHANGE_ADDED:
      return "added";
    case OSI_CHANGE_REMOVED:
      return "removed";
    case OSI_CHANGE_MODIFIED:
      return "modified";
    default:
      g_return_val_if_reached (NULL);
    }
}

const char *
osi_diff_section_to_string (OsiDiffSection section)
{
  switch (section)
    {
    case OSI_DIFF_RAG:
      return "rag";
    case OSI_DIFF_CONFIG:
      return "config";
    case OSI_DIFF_DATA:
      return "data";
    case OSI_N_DIFF_SECTIONS:
    default:
      g_return_val_if_reached (NULL);
    }
}

static const OsiChangeKind kinds[] = { OSI_CHANGE_ADDED, OSI_CHANGE_REMOVED, OSI_CHANGE_MODIFIED };

JsonNode *
osi_diff_to_json (OsiDiff *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *summary = NULL;

  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "a");
  json_builder_add_string_value (builder, self->a);
  json_builder_set_member_name (builder, "b");
  json_builder_add_string_value (builder, self->b);

  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      GPtrArray *changes = self->changes[s];

      json_builder_set_member_name (builder, osi_diff_section_to_string (s));
      json_builder_begin_object (builder);
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          json_builder_set_member_name (builder, osi_change_kind_to_string (kinds[k]));
          json_builder_add_int_value (builder, osi_diff_count (self, s, kinds[k]));
        }
      json_builder_set_member_name (builder, "unchanged");
      json_builder_add_int_value (builder, self->unchanged[s]);
      json_builder_set_member_name (builder, "changes");
      json_builder_begin_array (builder);
      for (guint i = 0; i < changes->len; i++)
        {
          const OsiChange *change = g_ptr_array_index (changes, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, change->name);
          json_builder_set_member_name (builder, "change");
          json_builder_add_string_value (builder, osi_change_kind_to_string (change->kind));
          if (s == OSI_DIFF_RAG)
            {
              if (change->kind == OSI_CHANGE_MODIFIED)
                {
                  json_builder_set_member_name (builder, "fields");
                  json_builder_begin_array (builder);
                  for (guint f = 0; change->fields != NULL && change->fields[f] != NULL; f++)
                    json_builder_add_string_value (builder, change->fields[f]);
                  json_builder_end_array (builder);
                }
            }
          else
            {
              if (change->size_a >= 0)
                {
                  json_builder_set_member_name (builder, "size_a");
                  json_builder_add_int_value (builder, change->size_a);
                }
              if (change->size_b >= 0)
                {
                  json_builder_set_member_name (builder, "size_b");
                  json_builder_add_int_value (builder, change->size_b);
                }
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }

  summary = osi_diff_describe_restore (self);
  json_builder_set_member_name (builder, "summary");
  json_builder_add_string_value (builder, summary);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gboolean
invalid_json (GError    **error,
              const char *what)
{
  /* Translators: %s names what is wrong in the JSON */
  g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
               _("The comparison received is not valid: %s."), what);
  return FALSE;
}

static gboolean
kind_from_string (const char    *s,
                  OsiChangeKind *kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (g_strcmp0 (s, osi_change_kind_to_string (kinds[k])) == 0)
      {
        *kind = kinds[k];
        return TRUE;
      }
  return FALSE;
}

static gint64
optional_size (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return -1;
  return json_node_get_int (node);
}

static gboolean
section_from_json (OsiDiff        *self,
                   OsiDiffSection  s,
                   JsonObject     *object,
                   GError        **error)
{
  JsonNode *node = json_object_get_member (object, "changes");
  JsonNode *unchanged = json_object_get_member (object, "unchanged");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return invalid_json (error, _("a section has no list of changes"));
  if (unchanged != NULL && json_node_get_value_type (unchanged) == G_TYPE_INT64 &&
      json_node_get_int (unchanged) >= 0 && json_node_get_int (unchanged) <= G_MAXUINT)
    self->unchanged[s] = (guint)json_node_get_int (unchanged);

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *item;
      const char *name;
      OsiChangeKind kind;
      OsiChange *change;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return invalid_json (error, _("a change is not an object"));
      item = json_node_get_object (element);
      name = json_object_get_string_member_with_default (item, "name", NULL);
      if (name == NULL ||
          !kind_from_string (json_object_get_string_member_with_default (item, "change", NULL), &kind))
        return invalid_json (error, _("a change has no name or no kind"));

      change = change_new (kind, name, optional_size (item, "size_a"), optional_size (item, "size_b"));
      g_ptr_array_add (self->changes[s], change);
      if (s == OSI_DIFF_RAG && kind == OSI_CHANGE_MODIFIED)
        {
          JsonNode *fields = json_object_get_member (item, "fields");
          g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

          if (fields != NULL && JSON_NODE_HOLDS_ARRAY (fields))
            {
              JsonArray *list = json_node_get_array (fields);

              for (guint f = 0; f < json_array_get_length (list); f++)
                {
                  JsonNode *field = json_array_get_element (list, f);

                  if (json_node_get_value_type (field) == G_TYPE_STRING)
                    g_strv_builder_add (builder, json_node_get_string (field));
                }
            }
          change->fields = g_strv_builder_end (builder);
        }
    }
  return TRUE;
}

OsiDiff *
osi_diff_new_from_json (JsonNode  *node,
                        GError   **error)
{
  g_autoptr(OsiDiff) self = NULL;
  JsonObject *root;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid_json (error, _("it is not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (node);

  self = g_object_new (OSI_TYPE_DIFF, NULL);
  self->a = g_strdup (json_object_get_string_member_with_default (root, "a", ""));
  self->b = g_strdup (json_object_get_string_member_with_default (root, "b", ""));
  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      JsonNode *section = json_object_get_member (root, osi_diff_section_to_string (s));

      if (section == NULL || !JSON_NODE_HOLDS_OBJECT (section))
        {
          invalid_json (error, _("a section is missing"));
          return NULL;
        }
      if (!section_from_json (self, s, json_node_get_object (section), error))
        return NULL;
    }
  osi_diff_sort (self);
  return g_steal_pointer (&self);
}

/* A sentence of up to three counts. Each count is its own ngettext, and
 * the clauses after the first are separate messages, since languages
 * shorten them differently (French: « retirera 12 entrées, en ajoutera
 * 3 »); the sentence around them is a template per number of clauses. */
static char *
describe_section (OsiDiff        *self,
                  OsiDiffSection  section)
{
  guint removed = osi_diff_count (self, section, OSI_CHANGE_REMOVED);
  guint added = osi_diff_count (self, section, OSI_CHANGE_ADDED);
  guint modified = osi_diff_count (self, section, OSI_CHANGE_MODIFIED);
  g_autoptr(GPtrArray) clauses = g_ptr_array_new_with_free_func (g_free);

  /* The format of each clause must stay a literal ngettext () for the
   * compiler to check it: hence one call per case. */
  if (removed > 0)
    {
      char *clause;

      if (section == OSI_DIFF_RAG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "remove %u entry", "remove %u entries", removed),
                                  removed);
      else if (section == OSI_DIFF_CONFIG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "remove %u configuration file",
                                               "remove %u configuration files", removed), removed);
      else
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "remove %u data file", "remove %u data files",
                                               removed), removed);
      g_ptr_array_add (clauses, clause);
    }
  if (added > 0)
    {
      char *clause;

      if (clauses->len > 0)
        /* Translators: a clause after "remove N entries" or "remove N files": what else the restore adds */
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u", "add %u", added), added);
      else if (section == OSI_DIFF_RAG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u entry", "add %u entries", added), added);
      else if (section == OSI_DIFF_CONFIG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u configuration file",
                                               "add %u configuration files", added), added);
      else
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u data file", "add %u data files", added),
                                  added);
      g_ptr_array_add (clauses, clause);
    }
  if (modified > 0)
    {
      char *clause;

      if (clauses->len > 0)
        /* Translators: a clause after "remove N entries" or "add N entries": what else the restore modifies */
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u", "modify %u", modified), modified);
      else if (section == OSI_DIFF_RAG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u entry", "modify %u entries", modified),
                                  modified);
      else if (section == OSI_DIFF_CONFIG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u configuration file",
                                               "modify %u configuration files", modified), modified);
      else
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u data file", "modify %u data files",
                                               modified), modified);
      g_ptr_array_add (clauses, clause);
    }

  switch (clauses->len)
    {
    case 0:
      return NULL;
    case 1:
      /* Translators: %s is "remove 12 entries", "add 3 configuration files"… */
      return g_strdup_printf (_("This restore will %s."), (char *)clauses->pdata[0]);
    case 2:
      /* Translators: "This restore will remove 12 entries and add 3." */
      return g_strdup_printf (_("This restore will %s and %s."), (char *)clauses->pdata[0],
                              (char *)clauses->pdata[1]);
    default:
      /* Translators: "This restore will remove 12 entries, add 3 and modify 40." */
      return g_strdup_printf (_("This restore will %s, %s and %s."), (char *)clauses->pdata[0],
                              (char *)clauses->pdata[1], (char *)clauses->pdata[2]);
    }
}

char *
osi_diff_describe_restore (OsiDiff *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);

  if (osi_diff_is_empty (self))
    return g_strdup (_("This restore will change nothing: the backup holds the same data as now."));

  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      g_autofree char *sentence = describe_section (self, s);

      if (sentence == NULL && s == OSI_DIFF_RAG)
        sentence = g_strdup (_("This restore will not change the knowledge base."));
      if (sentence == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, sentence);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
