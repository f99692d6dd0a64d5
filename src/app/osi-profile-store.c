/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-profile-store"

#include "config.h"

#include <string.h>

#include "osi-list-changes.h"
#include "osi-profile-store.h"
#include "osi-secret.h"

#define PROFILES_KEY "profiles"
#define CURRENT_KEY  "current-profile"
/* Each profile's time zone, by id: a key of its own, so that the profiles
 * stored before time zones existed still load (a missing one is the
 * desktop's). */
#define TIME_ZONES_KEY "profile-time-zones"

struct _OsiProfileStore
{
  GObject     parent_instance;

  GSettings  *settings;
  GPtrArray  *profiles;   /* OsiProfile, in the order of the settings */
  OsiProfile *current;    /* one of profiles, or NULL */
  gboolean    saving;     /* our own writes: nothing to reload */
};

static void osi_profile_store_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OsiProfileStore, osi_profile_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      osi_profile_store_list_model_init))

enum {
  PROP_0,
  PROP_CURRENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GListModel ------------------------------------------------------------- */

static GType
osi_profile_store_get_item_type (GListModel *model)
{
  return OSI_TYPE_PROFILE;
}

static guint
osi_profile_store_get_n_items (GListModel *model)
{
  return OSI_PROFILE_STORE (model)->profiles->len;
}

static gpointer
osi_profile_store_get_item (GListModel *model,
                            guint       position)
{
  OsiProfileStore *self = OSI_PROFILE_STORE (model);

  if (position >= self->profiles->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->profiles, position));
}

static void
osi_profile_store_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = osi_profile_store_get_item_type;
  iface->get_n_items = osi_profile_store_get_n_items;
  iface->get_item = osi_profile_store_get_item;
}

/* Loading and saving ------------------------------------------------------ */

static gboolean
find_index (OsiProfileStore *self,
            const char      *id,
            guint           *index)
{
  for (guint i = 0; i < self->profiles->len; i++)
    {
      OsiProfile *profile = g_ptr_array_index (self->profiles, i);

      if (g_strcmp0 (osi_profile_get_id (profile), id) == 0)
        {
          if (index != NULL)
            *index = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
update_current (OsiProfileStore *self)
{
  g_autofree char *id = g_settings_get_string (self->settings, CURRENT_KEY);
  OsiProfile *current = NULL;
  guint index;

  if (id[0] != '\0' && find_index (self, id, &index))
    current = g_ptr_array_index (self->profiles, index);
  if (g_set_object (&self->current, current))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT]);
}

static gconstpointer
profile_at (gconstpointer profiles,
            guint         i)
{
  return g_ptr_array_index ((GPtrArray *)profiles, i);
}

/* Replaces the list with what the settings hold. The profiles whose id is
 * still there are kept and updated through their setters, so that what
 * shows them (the window, the preferences) follows by notify:: and a
 * reload after our own save is a no-op; items-changed then covers only the
 * span between the unchanged head and tail, or is not emitted at all. */
static void
reload (OsiProfileStore *self)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) zones = NULL;
  g_autoptr(GPtrArray) old = NULL;
  g_autoptr(GHashTable) old_by_id = NULL;
  g_autoptr(GHashTable) seen = NULL;
  GVariantIter iter;
  const char *id, *name, *url, *ca_file;

  /* What we write is what we hold; between the writes of the two keys
   * the settings hold half of it. */
  if (self->saving)
    return;
  value = g_settings_get_value (self->settings, PROFILES_KEY);
  zones = g_settings_get_value (self->settings, TIME_ZONES_KEY);
  old = self->profiles;
  old_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < old->len; i++)
    {
      OsiProfile *profile = g_ptr_array_index (old, i);

      g_hash_table_insert (old_by_id, (gpointer)osi_profile_get_id (profile), profile);
    }

  self->profiles = g_ptr_array_new_with_free_func (g_object_unref);
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&s&s&s)", &id, &name, &url, &ca_file))
    {
      OsiProfile *profile;
      const char *time_zone = NULL;

      /* Hand edits (dconf-editor) may repeat an id or leave it empty: the
       * rest of the app needs ids to be unique keys. */
      if (id[0] == '\0' || g_hash_table_contains (seen, id))
        {
          g_debug ("Ignoring a server profile with an empty or repeated id");
          continue;
        }

      if (!g_variant_lookup (zones, id, "&s", &time_zone))
        time_zone = "";
      profile = g_hash_table_lookup (old_by_id, id);
      if (profile != NULL)
        {
          g_object_ref (profile);
          osi_profile_set_name (profile, name);
          osi_profile_set_url (profile, url);
          osi_profile_set_ca_file (profile, ca_file);
        }
      else
        profile = osi_profile_new (id, name, url, ca_file);
      osi_profile_set_time_zone (profile, time_zone);
      g_hash_table_add (seen, (gpointer)osi_profile_get_id (profile));
      g_ptr_array_add (self->profiles, profile);
    }

  osi_list_model_emit_changes (G_LIST_MODEL (self), old, old->len, self->profiles, self->profiles->len,
                               profile_at);

  /* The current profile may have gone, or come with the new list. */
  update_current (self);
}

static void
save (OsiProfileStore *self)
{
  GVariantBuilder builder;
  GVariantBuilder zones;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssss)"));
  g_variant_builder_init (&zones, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; i < self->profiles->len; i++)
    {
      OsiProfile *profile = g_ptr_array_index (self->profiles, i);
      const char *ca_file = osi_profile_get_ca_file (profile);
      const char *time_zone = osi_profile_get_time_zone (profile);

      g_variant_builder_add (&builder, "(ssss)",
                             osi_profile_get_id (profile),
                             osi_profile_get_name (profile),
                             osi_profile_get_url (profile),
                             ca_file != NULL ? ca_file : "");
      if (time_zone[0] != '\0')
        g_variant_builder_add (&zones, "{ss}", osi_profile_get_id (profile), time_zone);
    }
  /* Each emits its changed:: at once, which reload () ignores. */
  self->saving = TRUE;
  g_settings_set_value (self->settings, PROFILES_KEY, g_variant_builder_end (&builder));
  g_settings_set_value (self->settings, TIME_ZONES_KEY, g_variant_builder_end (&zones));
  self->saving = FALSE;
}

static void
on_secret_cleared (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Nothing to tell anyone: the profile is gone already, and a token left
   * behind is unreachable (ids are never reused). */
  if (!osi_secret_clear_finish (result, &error))
    g_debug ("Could not forget the token of a removed server profile: %s", error->message);
}

static char *
strip_trailing_slashes (const char *url)
{
  gsize len = strlen (url);

  while (len > 0 && url[len - 1] == '/')
    len--;
  return g_strndup (url, len);
}

/* GObject ----------------------------------------------------------------- */

static void
osi_profile_store_dispose (GObject *object)
{
  OsiProfileStore *self = OSI_PROFILE_STORE (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->current);

  G_OBJECT_CLASS (osi_profile_store_parent_class)->dispose (object);
}

static void
osi_profile_store_finalize (GObject *object)
{
  OsiProfileStore *self = OSI_PROFILE_STORE (object);

  g_clear_pointer (&self->profiles, g_ptr_array_unref);

  G_OBJECT_CLASS (osi_profile_store_parent_class)->finalize (object);
}

static void
osi_profile_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  OsiProfileStore *self = OSI_PROFILE_STORE (object);

  switch (prop_id)
    {
    case PROP_CURRENT:
      g_value_set_object (value, self->current);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The store holds what settings hold, and follows them. */
static void
follow_settings (OsiProfileStore *self,
                 GSettings       *settings)
{
  self->settings = g_object_ref (settings);

  /* Connected before the first read: some backends only watch keys that
   * were read, and we read them right below. */
  g_signal_connect_object (self->settings, "changed::" PROFILES_KEY,
                           G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::" TIME_ZONES_KEY,
                           G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::" CURRENT_KEY,
                           G_CALLBACK (update_current), self, G_CONNECT_SWAPPED);
  reload (self);
}

static void
osi_profile_store_class_init (OsiProfileStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_profile_store_dispose;
  object_class->finalize = osi_profile_store_finalize;
  object_class->get_property = osi_profile_store_get_property;

  properties[PROP_CURRENT] =
    g_param_spec_object ("current", NULL, NULL,
                         OSI_TYPE_PROFILE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_profile_store_init (OsiProfileStore *self)
{
  self->profiles = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Public API -------------------------------------------------------------- */

/* settings: of schema org.osi.Backup. */
OsiProfileStore *
osi_profile_store_new (GSettings *settings)
{
  OsiProfileStore *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (OSI_TYPE_PROFILE_STORE, NULL);
  follow_settings (self, settings);
  return self;
}

OsiProfile *
osi_profile_store_add (OsiProfileStore *self,
                       const char      *name,
                       const char      *url,
                       const char      *ca_file)
{
  g_autofree char *id = g_uuid_string_random ();
  OsiProfile *profile;
  guint position;

  g_return_val_if_fail (OSI_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  profile = osi_profile_new (id, name, url, ca_file);
  position = self->profiles->len;
  g_ptr_array_add (self->profiles, profile);
  save (self);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  return profile;
}

void
osi_profile_store_save (OsiProfileStore *self)
{
  g_return_if_fail (OSI_IS_PROFILE_STORE (self));

  save (self);
}

void
osi_profile_store_remove (OsiProfileStore *self,
                          const char      *id)
{
  g_autoptr(OsiProfile) profile = NULL;
  guint index;

  g_return_if_fail (OSI_IS_PROFILE_STORE (self));
  g_return_if_fail (id != NULL);

  if (!find_index (self, id, &index))
    return;

  profile = g_object_ref (g_ptr_array_index (self->profiles, index));
  if (self->current == profile)
    /* Notifies "current" through changed::current-profile. */
    g_settings_set_string (self->settings, CURRENT_KEY, "");

  g_ptr_array_remove_index (self->profiles, index);
  save (self);
  g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 0);

  osi_secret_clear_async (osi_profile_get_id (profile), NULL, on_secret_cleared, NULL);
}

OsiProfile *
osi_profile_store_lookup (OsiProfileStore *self,
                          const char      *id)
{
  guint index;

  g_return_val_if_fail (OSI_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (!find_index (self, id, &index))
    return NULL;
  return g_ptr_array_index (self->profiles, index);
}

OsiProfile *
osi_profile_store_find_by_url (OsiProfileStore *self,
                               const char      *url)
{
  g_autofree char *wanted = NULL;

  g_return_val_if_fail (OSI_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  wanted = strip_trailing_slashes (url);
  for (guint i = 0; i < self->profiles->len; i++)
    {
      OsiProfile *profile = g_ptr_array_index (self->profiles, i);
      g_autofree char *candidate = strip_trailing_slashes (osi_profile_get_url (profile));

      if (strcmp (candidate, wanted) == 0)
        return profile;
    }
  return NULL;
}

OsiProfile *
osi_profile_store_get_current (OsiProfileStore *self)
{
  g_return_val_if_fail (OSI_IS_PROFILE_STORE (self), NULL);

  return self->current;
}

/* id NULL or "" chooses none. An unknown id is kept in the settings but
 * gives no current profile. */
void
osi_profile_store_set_current (OsiProfileStore *self,
                               const char      *id)
{
  g_return_if_fail (OSI_IS_PROFILE_STORE (self));

  /* changed::current-profile calls update_current (), which notifies. */
  g_settings_set_string (self->settings, CURRENT_KEY, id != NULL ? id : "");
}
