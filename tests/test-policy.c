/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-error.h"
#include "osi-json.h"
#include "osi-policy.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = osi_json_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  return node;
}

static char *
policy_text (const OsiPolicy *policy)
{
  g_autoptr(JsonNode) node = osi_policy_to_json (policy);

  return json_to_string (node, FALSE);
}

static void
test_defaults (void)
{
  OsiPolicy policy;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;

  g_setenv ("TZ", "Europe/Paris", TRUE);
  osi_policy_init_default (&policy);
  text = policy_text (&policy);
  expected = g_strdup_printf ("{\"schedule\":{\"every\":\"off\",\"at\":\"02:30\",\"weekday\":1,\"day\":1,"
                              "\"time_zone\":\"%s\"},\"retention\":{\"keep_last\":3,\"keep_daily\":0,"
                              "\"keep_weekly\":0,\"keep_monthly\":0},\"verify\":{\"every\":\"off\"},"
                              "\"offsite\":{\"keep_last\":0,\"keep_weekly\":0,\"keep_monthly\":0}}",
                              policy.time_zone);
  g_assert_cmpstr (text, ==, expected);
  g_assert_cmpstr (policy.time_zone, ==, "Europe/Paris");
  osi_policy_clear (&policy);
}

static void
test_round_trip (void)
{
  const char *full = "{\"schedule\":{\"every\":\"weekly\",\"at\":\"23:05\",\"weekday\":7,\"day\":28,"
                     "\"time_zone\":\"America/New_York\"},\"retention\":{\"keep_last\":5,\"keep_daily\":7,"
                     "\"keep_weekly\":4,\"keep_monthly\":6},\"verify\":{\"every\":\"weekly\"},"
                     "\"offsite\":{\"keep_last\":0,\"keep_weekly\":2,\"keep_monthly\":12}}";
  g_autoptr(JsonNode) node = parse (full);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  OsiPolicy policy;

  osi_policy_init_default (&policy);
  g_assert_true (osi_policy_from_json (&policy, node, &error));
  g_assert_no_error (error);
  text = policy_text (&policy);
  g_assert_cmpstr (text, ==, full);
  g_assert_cmpint (policy.schedule.every, ==, OSI_SCHEDULE_WEEKLY);
  g_assert_cmpint (policy.verify, ==, OSI_VERIFY_WEEKLY);
  g_assert_cmpint (osi_verify_every_get_period (policy.verify), ==, 7 * G_TIME_SPAN_DAY);
  tz = osi_policy_get_time_zone (&policy);
  g_assert_cmpstr (g_time_zone_get_identifier (tz), ==, "America/New_York");
  osi_policy_clear (&policy);
}

/* A member left out keeps what the policy had. */
static void
test_partial (void)
{
  g_autoptr(JsonNode) node = parse ("{\"retention\":{\"keep_daily\":7}}");
  g_autoptr(GError) error = NULL;
  OsiPolicy policy;

  osi_policy_init_default (&policy);
  policy.schedule.every = OSI_SCHEDULE_DAILY;
  g_assert_true (osi_policy_from_json (&policy, node, &error));
  g_assert_cmpint (policy.schedule.every, ==, OSI_SCHEDULE_DAILY);
  g_assert_cmpint (policy.retention.keep_last, ==, 3);
  g_assert_cmpint (policy.retention.keep_daily, ==, 7);
  g_assert_false (osi_policy_offsite_retention_is_set (&policy));
  osi_policy_clear (&policy);
}

/* The off-site retention: each count 0–100000 (keep_last 0 allowed,
 * unlike the local one), a count left out keeps its value. */
static void
test_offsite (void)
{
  g_autoptr(JsonNode) set = parse ("{\"offsite\":{\"keep_last\":5,\"keep_monthly\":100000}}");
  g_autoptr(JsonNode) partial = parse ("{\"offsite\":{\"keep_weekly\":0}}");
  g_autoptr(JsonNode) zero = parse ("{\"offsite\":{\"keep_last\":0,\"keep_monthly\":0}}");
  g_autoptr(GError) error = NULL;
  OsiPolicy policy;

  osi_policy_init_default (&policy);
  g_assert_true (osi_policy_from_json (&policy, set, &error));
  g_assert_no_error (error);
  g_assert_cmpint (policy.offsite.keep_last, ==, 5);
  g_assert_cmpint (policy.offsite.keep_weekly, ==, 0);
  g_assert_cmpint (policy.offsite.keep_monthly, ==, 100000);
  g_assert_cmpint (policy.offsite.keep_daily, ==, 0);
  g_assert_true (osi_policy_offsite_retention_is_set (&policy));
  g_assert_true (osi_policy_from_json (&policy, partial, &error));
  g_assert_cmpint (policy.offsite.keep_last, ==, 5);
  g_assert_cmpint (policy.offsite.keep_monthly, ==, 100000);
  g_assert_true (osi_policy_from_json (&policy, zero, &error));
  g_assert_false (osi_policy_offsite_retention_is_set (&policy));
  osi_policy_clear (&policy);
}

static const struct
{
  const char *json;
  const char *member;   /* named in the message */
} refused[] = {
  { "[]", "schedule" },
  { "{\"retention\":{\"keep_last\":2}}", "retention.keep_last" },
  { "{\"retention\":{\"keep_last\":0}}", "retention.keep_last" },
  { "{\"retention\":{\"keep_last\":\"5\"}}", "retention.keep_last" },
  { "{\"retention\":{\"keep_last\":5.5}}", "retention.keep_last" },
  { "{\"retention\":{\"keep_daily\":-1}}", "retention.keep_daily" },
  { "{\"retention\":{\"keep_weekly\":true}}", "retention.keep_weekly" },
  { "{\"retention\":{\"keep_monthly\":1e12}}", "retention.keep_monthly" },
  { "{\"retention\":[]}", "retention" },
  { "{\"schedule\":{\"every\":\"hourly\"}}", "schedule.every" },
  { "{\"schedule\":{\"every\":null}}", "schedule.every" },
  { "{\"schedule\":{\"at\":\"2:30\"}}", "schedule.at" },
  { "{\"schedule\":{\"at\":\"24:00\"}}", "schedule.at" },
  { "{\"schedule\":{\"weekday\":0}}", "schedule.weekday" },
  { "{\"schedule\":{\"weekday\":8}}", "schedule.weekday" },
  { "{\"schedule\":{\"day\":29}}", "schedule.day" },
  { "{\"schedule\":{\"time_zone\":\"Mars/Olympus\"}}", "Mars/Olympus" },
  { "{\"schedule\":\"daily\"}", "schedule" },
  { "{\"verify\":{\"every\":\"monthly\"}}", "verify.every" },
  { "{\"verify\":true}", "verify" },
  { "{\"offsite\":{\"keep_last\":-1}}", "offsite.keep_last" },
  { "{\"offsite\":{\"keep_weekly\":100001}}", "offsite.keep_weekly" },
  { "{\"offsite\":{\"keep_monthly\":\"2\"}}", "offsite.keep_monthly" },
  { "{\"offsite\":3}", "offsite" },
};

static void
test_refused (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonNode) node = parse (refused[i].json);
      g_autoptr(GError) error = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      OsiPolicy policy;

      g_test_message ("%s", refused[i].json);
      osi_policy_init_default (&policy);
      before = policy_text (&policy);
      g_assert_false (osi_policy_from_json (&policy, node, &error));
      g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, refused[i].member));
      /* Refused half-way, the policy is as it was. */
      after = policy_text (&policy);
      g_assert_cmpstr (after, ==, before);
      osi_policy_clear (&policy);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/policy/defaults", test_defaults);
  g_test_add_func ("/policy/round-trip", test_round_trip);
  g_test_add_func ("/policy/partial", test_partial);
  g_test_add_func ("/policy/refused", test_refused);
  g_test_add_func ("/policy/offsite", test_offsite);

  return g_test_run ();
}
