/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-profile"

#include "config.h"

#include "osi-profile.h"

struct _OsiProfile
{
  GObject  parent_instance;

  char    *id;
  char    *name;
  char    *url;
  char    *ca_file;   /* NULL when none, never "" */
  char    *time_zone; /* "" for the desktop's */
};

G_DEFINE_FINAL_TYPE (OsiProfile, osi_profile, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_URL,
  PROP_CA_FILE,
  PROP_TIME_ZONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Replaces *field with a copy of value; FALSE when it already held that. */
static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
osi_profile_finalize (GObject *object)
{
  OsiProfile *self = OSI_PROFILE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->url);
  g_free (self->ca_file);
  g_free (self->time_zone);

  G_OBJECT_CLASS (osi_profile_parent_class)->finalize (object);
}

static void
osi_profile_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  OsiProfile *self = OSI_PROFILE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;

    case PROP_TIME_ZONE:
      g_value_set_string (value, self->time_zone);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_profile_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  OsiProfile *self = OSI_PROFILE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    case PROP_NAME:
      osi_profile_set_name (self, g_value_get_string (value));
      break;

    case PROP_URL:
      osi_profile_set_url (self, g_value_get_string (value));
      break;

    case PROP_CA_FILE:
      osi_profile_set_ca_file (self, g_value_get_string (value));
      break;

    case PROP_TIME_ZONE:
      osi_profile_set_time_zone (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_profile_constructed (GObject *object)
{
  OsiProfile *self = OSI_PROFILE (object);

  G_OBJECT_CLASS (osi_profile_parent_class)->constructed (object);

  /* The getters promise strings: the settings and the window rely on it. */
  if (self->id == NULL)
    self->id = g_uuid_string_random ();
  if (self->name == NULL)
    self->name = g_strdup ("");
  if (self->url == NULL)
    self->url = g_strdup ("");
  if (self->time_zone == NULL)
    self->time_zone = g_strdup ("");
}

static void
osi_profile_class_init (OsiProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = osi_profile_constructed;
  object_class->finalize = osi_profile_finalize;
  object_class->get_property = osi_profile_get_property;
  object_class->set_property = osi_profile_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CA_FILE] =
    g_param_spec_string ("ca-file", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME_ZONE] =
    g_param_spec_string ("time-zone", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_profile_init (OsiProfile *self)
{
}

/* id NULL makes a fresh one. ca_file NULL or "" means none. */
OsiProfile *
osi_profile_new (const char *id,
                 const char *name,
                 const char *url,
                 const char *ca_file)
{
  return g_object_new (OSI_TYPE_PROFILE,
                       "id", id,
                       "name", name,
                       "url", url,
                       "ca-file", ca_file,
                       NULL);
}

const char *
osi_profile_get_id (OsiProfile *self)
{
  g_return_val_if_fail (OSI_IS_PROFILE (self), NULL);

  return self->id;
}

const char *
osi_profile_get_name (OsiProfile *self)
{
  g_return_val_if_fail (OSI_IS_PROFILE (self), NULL);

  return self->name;
}

void
osi_profile_set_name (OsiProfile *self,
                      const char *name)
{
  g_return_if_fail (OSI_IS_PROFILE (self));

  if (replace_string (&self->name, name != NULL ? name : ""))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
osi_profile_get_url (OsiProfile *self)
{
  g_return_val_if_fail (OSI_IS_PROFILE (self), NULL);

  return self->url;
}

void
osi_profile_set_url (OsiProfile *self,
                     const char *url)
{
  g_return_if_fail (OSI_IS_PROFILE (self));

  if (replace_string (&self->url, url != NULL ? url : ""))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
}

const char *
osi_profile_get_ca_file (OsiProfile *self)
{
  g_return_val_if_fail (OSI_IS_PROFILE (self), NULL);

  return self->ca_file;
}

void
osi_profile_set_ca_file (OsiProfile *self,
                         const char *ca_file)
{
  g_return_if_fail (OSI_IS_PROFILE (self));

  /* The settings store "" for none; one spelling here keeps comparisons
   * simple. */
  if (ca_file != NULL && ca_file[0] == '\0')
    ca_file = NULL;
  if (replace_string (&self->ca_file, ca_file))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CA_FILE]);
}

const char *
osi_profile_get_time_zone (OsiProfile *self)
{
  g_return_val_if_fail (OSI_IS_PROFILE (self), NULL);

  return self->time_zone;
}

void
osi_profile_set_time_zone (OsiProfile *self,
                           const char *time_zone)
{
  g_return_if_fail (OSI_IS_PROFILE (self));

  if (replace_string (&self->time_zone, time_zone != NULL ? time_zone : ""))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIME_ZONE]);
}

OsiClient *
osi_profile_new_client (OsiProfile  *self,
                        const char  *token,
                        GError     **error)
{
  g_autoptr(OsiClient) client = NULL;

  g_return_val_if_fail (OSI_IS_PROFILE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  client = osi_client_new (self->url, token);
  if (self->ca_file != NULL && !osi_client_set_ca_file (client, self->ca_file, error))
    return NULL;
  if (!osi_client_set_server_time_zone (client, self->time_zone, error))
    return NULL;
  return g_steal_pointer (&client);
}

/* The client's result: osi_client_new_finish () takes it. */
void
osi_profile_new_client_async (OsiProfile          *self,
                              const char          *token,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (OSI_IS_PROFILE (self));

  osi_client_new_async (self->url, token, self->ca_file, self->time_zone, cancellable, callback, user_data);
}
