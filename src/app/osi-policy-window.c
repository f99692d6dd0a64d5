/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-policy"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-policy-window.h"
#include "osi-resources.h"
#include "osi-search.h"
#include "osi-window-private.h"

/* "Schedule and Retention": the server's policy (docs/api.md §6) read,
 * shown, edited and saved; the next backup and verification and the
 * latest runs as the server reports them. On a server without "policy",
 * only the retention counts and "Clean Up…", planned here. */

struct _OsiPolicyWindow
{
  AdwWindow           parent_instance;

  /* template */
  AdwToastOverlay    *toast_overlay;
  GtkButton          *save_button;
  GtkStack           *stack;
  GtkSpinner         *spinner;
  AdwStatusPage      *error_page;
  AdwPreferencesGroup *message_group;
  GtkLabel           *message_label;
  AdwPreferencesGroup *unsupported_group;
  AdwPreferencesGroup *schedule_group;
  AdwComboRow        *every_row;
  AdwComboRow        *weekday_row;
  AdwActionRow       *day_row;
  GtkSpinButton      *day_spin;
  AdwActionRow       *time_row;
  GtkSpinButton      *hour_spin;
  GtkSpinButton      *minute_spin;
  AdwActionRow       *next_backup_row;
  GtkSpinButton      *keep_last_spin;
  GtkSpinButton      *keep_daily_spin;
  GtkSpinButton      *keep_weekly_spin;
  GtkSpinButton      *keep_monthly_spin;
  AdwPreferencesGroup *verify_group;
  AdwComboRow        *verify_row;
  AdwActionRow       *next_verify_row;
  AdwPreferencesGroup *runs_group;

  OsiWindow          *window;        /* weak: the transient parent */
  OsiClient          *client;
  GCancellable       *cancellable;
  OsiPolicy           policy;        /* the server's, as last read */
  GPtrArray          *run_rows;
  gboolean            working;
  char               *message;
  char               *last_toast;
};

G_DEFINE_FINAL_TYPE (OsiPolicyWindow, osi_policy_window, ADW_TYPE_WINDOW)

static void load (OsiPolicyWindow *self);

static void
set_working (OsiPolicyWindow *self,
             gboolean         working)
{
  if (self->working == working)
    return;
  self->working = working;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            !working && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "policy") == 0
                            && gtk_widget_get_visible (GTK_WIDGET (self->schedule_group)));
}

static void
show_message (OsiPolicyWindow *self,
              const char      *text)
{
  g_free (self->message);
  self->message = g_strdup (text);
  gtk_label_set_text (self->message_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_group), text != NULL);
}

static void
add_toast (OsiPolicyWindow *self,
           const char      *title)
{
  g_free (self->last_toast);
  self->last_toast = g_strdup (title);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

/* The rows the schedule needs: a time unless it is off, a weekday for a
 * weekly one, a day for a monthly one. */
static void
on_every_changed (OsiPolicyWindow *self)
{
  guint every = adw_combo_row_get_selected (self->every_row);

  gtk_widget_set_visible (GTK_WIDGET (self->time_row), every != OSI_SCHEDULE_OFF);
  gtk_widget_set_visible (GTK_WIDGET (self->weekday_row), every == OSI_SCHEDULE_WEEKLY);
  gtk_widget_set_visible (GTK_WIDGET (self->day_row), every == OSI_SCHEDULE_MONTHLY);
}

static void
clear_runs (OsiPolicyWindow *self)
{
  for (guint i = 0; i < self->run_rows->len; i++)
    adw_preferences_group_remove (self->runs_group, g_ptr_array_index (self->run_rows, i));
  g_ptr_array_set_size (self->run_rows, 0);
}

static void
add_run_row (OsiPolicyWindow *self,
             const char      *title,
             const char      *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  /* The server's words are shown as text, never as markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (self->runs_group, row);
  g_ptr_array_add (self->run_rows, row);
}

static void
show_runs (OsiPolicyWindow *self,
           JsonObject      *answer)
{
  JsonNode *node = json_object_get_member (answer, "last_runs");
  JsonArray *runs = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  clear_runs (self);
  for (guint i = 0; runs != NULL && i < json_array_get_length (runs); i++)
    {
      JsonNode *element = json_array_get_element (runs, i);
      JsonObject *run = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      g_autofree char *at = NULL;
      g_autofree char *detail = NULL;
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;

      if (run == NULL)
        continue;
      at = osi_policy_format_instant (run, "at");
      detail = osi_format_untrusted (json_object_get_string_member_with_default (run, "detail", ""));
      title = g_strdup_printf ("%s — %s", osi_policy_describe_run_kind (json_object_get_string_member_with_default (run, "kind", NULL)),
                               json_object_get_boolean_member_with_default (run, "ok", FALSE) ? C_("run", "ok")
                                                                                             : C_("run", "failed"));
      subtitle = *detail != '\0' ? g_strdup_printf ("%s — %s", at, detail) : g_strdup (at);
      add_run_row (self, title, subtitle);
    }
  if (self->run_rows->len == 0)
    add_run_row (self, _("No scheduled run yet."), NULL);
}

void
osi_policy_window_set_policy (OsiPolicyWindow *self,
                              const OsiPolicy *policy)
{
  g_return_if_fail (OSI_IS_POLICY_WINDOW (self));
  g_return_if_fail (policy != NULL);

  adw_combo_row_set_selected (self->every_row, policy->schedule.every);
  gtk_spin_button_set_value (self->hour_spin, policy->schedule.hour);
  gtk_spin_button_set_value (self->minute_spin, policy->schedule.minute);
  adw_combo_row_set_selected (self->weekday_row, CLAMP (policy->schedule.weekday, 1, 7) - 1);
  gtk_spin_button_set_value (self->day_spin, policy->schedule.day);
  gtk_spin_button_set_value (self->keep_last_spin, policy->retention.keep_last);
  gtk_spin_button_set_value (self->keep_daily_spin, policy->retention.keep_daily);
  gtk_spin_button_set_value (self->keep_weekly_spin, policy->retention.keep_weekly);
  gtk_spin_button_set_value (self->keep_monthly_spin, policy->retention.keep_monthly);
  adw_combo_row_set_selected (self->verify_row, policy->verify);
  on_every_changed (self);
}

void
osi_policy_window_get_policy (OsiPolicyWindow *self,
                              OsiPolicy       *policy)
{
  g_return_if_fail (OSI_IS_POLICY_WINDOW (self));
  g_return_if_fail (policy != NULL);

  osi_policy_copy (policy, &self->policy);
  policy->schedule.every = (OsiScheduleEvery)MIN (adw_combo_row_get_selected (self->every_row), OSI_SCHEDULE_MONTHLY);
  policy->schedule.hour = (guint8)gtk_spin_button_get_value_as_int (self->hour_spin);
  policy->schedule.minute = (guint8)gtk_spin_button_get_value_as_int (self->minute_spin);
  policy->schedule.weekday = (guint8)(MIN (adw_combo_row_get_selected (self->weekday_row), 6) + 1);
  policy->schedule.day = (guint8)gtk_spin_button_get_value_as_int (self->day_spin);
  policy->retention.keep_last = gtk_spin_button_get_value_as_int (self->keep_last_spin);
  policy->retention.keep_daily = gtk_spin_button_get_value_as_int (self->keep_daily_spin);
  policy->retention.keep_weekly = gtk_spin_button_get_value_as_int (self->keep_weekly_spin);
  policy->retention.keep_monthly = gtk_spin_button_get_value_as_int (self->keep_monthly_spin);
  policy->verify = (OsiVerifyEvery)MIN (adw_combo_row_get_selected (self->verify_row), OSI_VERIFY_WEEKLY);
}

/* With a policy or without: what the page offers. */
static void
show_page (OsiPolicyWindow *self,
           gboolean         supported)
{
  gtk_widget_set_visible (GTK_WIDGET (self->unsupported_group), !supported);
  gtk_widget_set_visible (GTK_WIDGET (self->schedule_group), supported);
  gtk_widget_set_visible (GTK_WIDGET (self->verify_group), supported);
  gtk_widget_set_visible (GTK_WIDGET (self->runs_group), supported);
  gtk_widget_set_visible (GTK_WIDGET (self->save_button), supported);
  gtk_stack_set_visible_child_name (self->stack, "policy");
}

static void
on_policy_loaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(OsiPolicyWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next_backup = NULL;
  g_autofree char *next_verify = NULL;

  answer = osi_client_get_policy_finish (OSI_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL)
    return;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED))
    {
      /* §6's defaults for a clean-up planned here. */
      osi_policy_clear (&self->policy);
      osi_policy_init_default (&self->policy);
      osi_policy_window_set_policy (self, &self->policy);
      show_page (self, FALSE);
      set_working (self, FALSE);
      return;
    }
  if (answer != NULL)
    {
      OsiPolicy read;

      node = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (node, answer);
      osi_policy_init_default (&read);
      if (osi_policy_from_json (&read, node, &error))
        {
          osi_policy_clear (&self->policy);
          self->policy = read;
        }
      else
        {
          osi_policy_clear (&read);
          g_prefix_error (&error, "%s ", _("The server sent a policy this program cannot read:"));
        }
    }
  if (error != NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      set_working (self, FALSE);
      return;
    }
  osi_policy_window_set_policy (self, &self->policy);
  next_backup = osi_policy_format_instant (answer, "next_backup");
  next_verify = osi_policy_format_instant (answer, "next_verify");
  adw_action_row_set_subtitle (self->next_backup_row, next_backup);
  adw_action_row_set_subtitle (self->next_verify_row, next_verify);
  show_runs (self, answer);
  show_page (self, TRUE);
  set_working (self, FALSE);
}

static void
load (OsiPolicyWindow *self)
{
  set_working (self, TRUE);
  gtk_spinner_set_spinning (self->spinner, TRUE);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "policy") != 0)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  osi_client_get_policy_async (self->client, self->cancellable, on_policy_loaded, g_object_ref (self));
}

static void
on_policy_saved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(OsiPolicyWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = osi_client_set_policy_finish (OSI_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL)
    return;
  if (answer == NULL)
    {
      /* A refused policy: the server's reason, over the page. */
      show_message (self, error->message);
      set_working (self, FALSE);
      return;
    }
  show_message (self, NULL);
  add_toast (self, _("Policy saved"));
  /* The next runs follow the new schedule. */
  load (self);
}

void
osi_policy_window_save (OsiPolicyWindow *self)
{
  OsiPolicy policy;

  g_return_if_fail (OSI_IS_POLICY_WINDOW (self));

  if (self->working || self->client == NULL)
    return;
  osi_policy_window_get_policy (self, &policy);
  set_working (self, TRUE);
  osi_client_set_policy_async (self->client, &policy, self->cancellable, on_policy_saved, g_object_ref (self));
  osi_policy_clear (&policy);
}

static void
on_save_clicked (OsiPolicyWindow *self)
{
  osi_policy_window_save (self);
}

void
osi_policy_window_prune (OsiPolicyWindow *self)
{
  gboolean here;
  OsiPolicy policy;

  g_return_if_fail (OSI_IS_POLICY_WINDOW (self));

  if (self->window == NULL)
    return;
  /* Without a policy on the server, the counts of this page; with one,
   * the server's own plan (its saved policy). */
  here = gtk_widget_get_visible (GTK_WIDGET (self->unsupported_group));
  osi_policy_window_get_policy (self, &policy);
  gtk_window_present (GTK_WINDOW (self->window));
  _osi_window_prune (self->window, here ? &policy.retention : NULL);
  osi_policy_clear (&policy);
}

static void
on_prune_clicked (OsiPolicyWindow *self)
{
  osi_policy_window_prune (self);
}

static void
osi_policy_window_dispose (GObject *object)
{
  OsiPolicyWindow *self = OSI_POLICY_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->client);
  if (self->window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *)&self->window);
  self->window = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_POLICY_WINDOW);

  G_OBJECT_CLASS (osi_policy_window_parent_class)->dispose (object);
}

static void
osi_policy_window_finalize (GObject *object)
{
  OsiPolicyWindow *self = OSI_POLICY_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->run_rows, g_ptr_array_unref);
  osi_policy_clear (&self->policy);
  g_free (self->message);
  g_free (self->last_toast);

  G_OBJECT_CLASS (osi_policy_window_parent_class)->finalize (object);
}

static void
osi_policy_window_class_init (OsiPolicyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_policy_window_dispose;
  object_class->finalize = osi_policy_window_finalize;

  osi_resources_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-policy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, save_button);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, message_group);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, message_label);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, unsupported_group);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, schedule_group);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, every_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, weekday_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, day_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, day_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, time_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, hour_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, minute_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, next_backup_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, keep_last_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, keep_daily_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, keep_weekly_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, keep_monthly_spin);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, verify_group);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, verify_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, next_verify_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPolicyWindow, runs_group);
  gtk_widget_class_bind_template_callback (widget_class, on_every_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_prune_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
osi_policy_window_init (OsiPolicyWindow *self)
{
  g_autoptr(GtkStringList) days = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->run_rows = g_ptr_array_new ();
  osi_policy_init_default (&self->policy);
  for (guint i = 1; i <= 7; i++)
    gtk_string_list_append (days, osi_policy_describe_weekday (i));
  adw_combo_row_set_model (self->weekday_row, G_LIST_MODEL (days));
  osi_policy_window_set_policy (self, &self->policy);
}

OsiPolicyWindow *
osi_policy_window_new (OsiWindow *window)
{
  OsiPolicyWindow *self;

  g_return_val_if_fail (OSI_IS_WINDOW (window), NULL);
  g_return_val_if_fail (osi_window_get_client (window) != NULL, NULL);

  self = g_object_new (OSI_TYPE_POLICY_WINDOW, "transient-for", window, NULL);
  self->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *)&self->window);
  self->client = g_object_ref (osi_window_get_client (window));
  load (self);
  return self;
}

const char *
osi_policy_window_get_state (OsiPolicyWindow *self)
{
  const char *page;

  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), NULL);

  page = gtk_stack_get_visible_child_name (self->stack);
  if (g_strcmp0 (page, "policy") == 0 && gtk_widget_get_visible (GTK_WIDGET (self->unsupported_group)))
    return "unsupported";
  return page;
}

gboolean
osi_policy_window_get_working (OsiPolicyWindow *self)
{
  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), FALSE);

  return self->working;
}

const char *
osi_policy_window_get_message (OsiPolicyWindow *self)
{
  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), NULL);

  return self->message;
}

const char *
osi_policy_window_get_last_toast (OsiPolicyWindow *self)
{
  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), NULL);

  return self->last_toast;
}

const char *
osi_policy_window_get_next_backup_text (OsiPolicyWindow *self)
{
  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), NULL);

  return adw_action_row_get_subtitle (self->next_backup_row);
}

const char *
osi_policy_window_get_next_verify_text (OsiPolicyWindow *self)
{
  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), NULL);

  return adw_action_row_get_subtitle (self->next_verify_row);
}

guint
osi_policy_window_get_n_runs (OsiPolicyWindow *self)
{
  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), 0);

  return self->run_rows->len;
}

char *
osi_policy_window_dup_run_text (OsiPolicyWindow *self,
                                guint            i)
{
  AdwActionRow *row;

  g_return_val_if_fail (OSI_IS_POLICY_WINDOW (self), NULL);
  g_return_val_if_fail (i < self->run_rows->len, NULL);

  row = g_ptr_array_index (self->run_rows, i);
  return g_strdup_printf ("%s\n%s", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                          adw_action_row_get_subtitle (row) != NULL ? adw_action_row_get_subtitle (row) : "");
}
