/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osi-s3-private.h"

/* The pieces of the S3 layer (docs/api.md §7) that need no server: the
 * URL, the keys, the encoding and canonical query curl 7.88 signs as it
 * finds them, the answers' XML, the credentials file. The calls
 * themselves are tested against a real Ceph RADOS Gateway, not here. */

/* Encoding and the canonical query */

static void
test_uri_encode (void)
{
  static const struct
  {
    const char *text;
    gboolean    keep_slash;
    const char *expected;
  } cases[] = {
    { "AZaz09-_.~", FALSE, "AZaz09-_.~" },
    { "a b", FALSE, "a%20b" },
    { "a+b=c&d", FALSE, "a%2Bb%3Dc%26d" },
    { "a/b", FALSE, "a%2Fb" },
    { "a/b", TRUE, "a/b" },
    { "*", FALSE, "%2A" },
    { "%", FALSE, "%25" },
    { "é", FALSE, "%C3%A9" },
    { "ሴ", FALSE, "%E1%88%B4" },
    { "\x7f\x01", FALSE, "%7F%01" },
    { "", FALSE, "" },
    { "site/hôte/a b+c.tar.zst", TRUE, "site/h%C3%B4te/a%20b%2Bc.tar.zst" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *encoded = osi_s3_uri_encode (cases[i].text, cases[i].keep_slash);

      g_assert_cmpstr (encoded, ==, cases[i].expected);
    }
}

static void
check_query (const char *const *params,
             const char        *expected)
{
  g_autofree char *query = osi_s3_canonical_query (params);

  g_assert_cmpstr (query, ==, expected);
}

static void
test_canonical_query (void)
{
  /* The AWS SigV4 test suite's get-vanilla-query-order-key-case,
   * -order-value, -unreserved and get-vanilla-utf8-query. */
  const char *const key_case[] = { "Param2", "value2", "Param1", "value1", NULL };
  const char *const by_value[] = { "Param1", "value2", "Param1", "Value1", NULL };
  const char *const unreserved[] = {
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL
  };
  const char *const utf8[] = { "ሴ", "bar", NULL };
  /* S3's own: a parameter without value, a ListObjectsV2 page. */
  const char *const uploads[] = { "uploads", "", NULL };
  const char *const list[] = {
    "list-type", "2", "prefix", "site/a b/", "continuation-token", "1/x+y=", NULL
  };
  const char *const part[] = { "uploadId", "2~abc.DEF_g-h", "partNumber", "10", NULL };
  /* By name first: "a" before "a-b" although "a-b=" sorts before "a=". */
  const char *const prefix_name[] = { "a-b", "1", "a", "2", NULL };
  /* Byte order: capitals first. */
  const char *const capitals[] = { "a", "1", "B", "2", NULL };
  const char *const none[] = { NULL };

  check_query (key_case, "Param1=value1&Param2=value2");
  check_query (by_value, "Param1=Value1&Param1=value2");
  check_query (unreserved,
               "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
               "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  check_query (utf8, "%E1%88%B4=bar");
  check_query (uploads, "uploads=");
  check_query (list, "continuation-token=1%2Fx%2By%3D&list-type=2&prefix=site%2Fa%20b%2F");
  check_query (part, "partNumber=10&uploadId=2~abc.DEF_g-h");
  check_query (prefix_name, "a=2&a-b=1");
  check_query (capitals, "B=2&a=1");
  check_query (none, "");
}

/* --offsite-url */

static void
test_url_good (void)
{
  static const struct
  {
    const char *url;
    const char *endpoint;
    const char *bucket;
    const char *prefix;
  } cases[] = {
    { "https://s3.example.org/osi-backups", "https://s3.example.org", "osi-backups", "" },
    { "https://s3.example.org/osi-backups/", "https://s3.example.org", "osi-backups", "" },
    { "http://127.0.0.1:7480/osi-backups/site/a/", "http://127.0.0.1:7480", "osi-backups", "site/a" },
    { "HTTPS://S3.Example.org:8443/Old_Bucket/p", "https://S3.Example.org:8443", "Old_Bucket", "p" },
    { "http://[::1]:7480/bucket/x y", "http://[::1]:7480", "bucket", "x y" },
    { "https://s3.example.org/bucket/a%2Bb", "https://s3.example.org", "bucket", "a+b" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      OsiS3Url parsed;
      g_autoptr(GError) error = NULL;

      g_assert_true (osi_s3_url_parse (cases[i].url, &parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (parsed.endpoint, ==, cases[i].endpoint);
      g_assert_cmpstr (parsed.bucket, ==, cases[i].bucket);
      g_assert_cmpstr (parsed.prefix, ==, cases[i].prefix);
      osi_s3_url_clear (&parsed);
    }
}

static void
test_url_bad (void)
{
  static const char *const urls[] = {
    "https://s3.example.org",             /* no bucket */
    "https://s3.example.org/",
    "https://s3.example.org:99999/bucket", /* bad ports */
    "https://s3.example.org:http/bucket",
    "https://s3.example.org:0/bucket",
    "ftp://s3.example.org/bucket",        /* unknown schemes */
    "s3://bucket/prefix",
    "s3.example.org/bucket",
    "https://key:secret@s3.example.org/bucket",
    "https://key@s3.example.org/bucket",
    "https:///bucket",                    /* no host */
    "https://s3.example.org/bucket?x=1",
    "https://s3.example.org/bucket#f",
    "https://s3.example.org/bu",          /* bucket names */
    "https://s3.example.org/bu%20cket",
    "https://s3.example.org/bucket/a//b", /* prefixes */
    "https://s3.example.org/bucket/../x",
    "https://s3.example.org/bucket/./x",
    "https://s3.example.org/other/../bucket",
    "https://s3.example.org/bucket/%2e%2E/x",
    "https://s3.example.org/bucket/x/..",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      OsiS3Url parsed;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", urls[i]);
      g_assert_false (osi_s3_url_parse (urls[i], &parsed, &error));
      g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
      g_assert_null (parsed.endpoint);
      g_assert_null (parsed.bucket);
    }
}

static void
test_url_message (void)
{
  OsiS3Url parsed;
  g_autoptr(GError) error = NULL;

  /* The keys never go in the URL, and the message says where they go. */
  g_assert_false (osi_s3_url_parse ("https://key:secret@s3.example.org/bucket", &parsed, &error));
  g_assert_nonnull (strstr (error->message, "credentials file"));
}

/* Keys */

static void
test_keys (void)
{
  static const char *const bad[] = { "", ".", "..", "a/b", "/", "line\nbreak", "tab\t", "\xff\xfe", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(OsiS3) bare = NULL;
  g_autofree char *key = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *encoded = NULL;

  s3 = osi_s3_new ("https://s3.example.org/osi-backups/site/a/", "AKIA", "secret", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_s3_get_endpoint (s3), ==, "https://s3.example.org");
  g_assert_cmpstr (osi_s3_get_bucket (s3), ==, "osi-backups");
  g_assert_cmpstr (osi_s3_get_prefix (s3), ==, "site/a");

  prefix = osi_s3_host_prefix (s3, "web-01.example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (prefix, ==, "site/a/web-01.example.org/");
  g_clear_pointer (&prefix, g_free);
  key = osi_s3_backup_key (s3, "web-01.example.org", "rag-backup-20261205-204800.tar.gz", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "site/a/web-01.example.org/rag-backup-20261205-204800.tar.gz");
  g_clear_pointer (&key, g_free);

  /* Odd but possible names: encoded in the URL, not refused. */
  key = osi_s3_backup_key (s3, "hôte local", "a b+c%.tar.gz", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "site/a/hôte local/a b+c%.tar.gz");
  encoded = osi_s3_uri_encode (key, TRUE);
  g_assert_cmpstr (encoded, ==, "site/a/h%C3%B4te%20local/a%20b%2Bc%25.tar.gz");
  g_clear_pointer (&key, g_free);

  for (guint i = 0; bad[i] != NULL; i++)
    {
      key = osi_s3_backup_key (s3, bad[i], "backup.tar.gz", &error);
      g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
      g_assert_null (key);
      g_clear_error (&error);
      key = osi_s3_backup_key (s3, "host", bad[i], &error);
      g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
      g_assert_null (key);
      g_clear_error (&error);
      prefix = osi_s3_host_prefix (s3, bad[i], &error);
      g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
      g_assert_null (prefix);
      g_clear_error (&error);
    }

  /* Without a prefix, each host's folder is at the bucket's root. */
  bare = osi_s3_new ("http://127.0.0.1:7480/osi-backups", "AKIA", "secret", "eu-west-3", NULL, &error);
  g_assert_no_error (error);
  key = osi_s3_backup_key (bare, "host", "backup.tar.gz", &error);
  g_assert_cmpstr (key, ==, "host/backup.tar.gz");
}

static void
test_new_bad (void)
{
  g_autoptr(GError) error = NULL;
  OsiS3 *s3;

  s3 = osi_s3_new ("https://s3.example.org/b", "AKIA", "secret", NULL, NULL, &error);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
  g_assert_null (s3);
  g_clear_error (&error);
  /* The region goes between the ':' of curl's aws:amz:REGION:s3. */
  s3 = osi_s3_new ("https://s3.example.org/bucket", "AKIA", "secret", "us:east", NULL, &error);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
  g_assert_null (s3);
}

/* XML answers, shaped as AWS and the RADOS Gateway send them */

static const char list_objects_page1[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
  "<Name>osi-backups</Name><Prefix>site/host/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
  "<IsTruncated>true</IsTruncated>"
  "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
  "<Contents><Key>site/host/a.tar.gz</Key><LastModified>2026-12-05T20:01:02.000Z</LastModified>"
  "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>1048576</Size>"
  "<StorageClass>STANDARD</StorageClass></Contents>\n"
  "<Contents><Key>site/host/b &amp; c.tar.gz</Key><LastModified>2026-12-05T21:00:00.000Z</LastModified>"
  "<ETag>\"9b2cf535f27731c974343645a3985328-3\"</ETag><Size>17179869184</Size>"
  "<Owner><ID>osi</ID><DisplayName>OSI</DisplayName></Owner></Contents>"
  "</ListBucketResult>";

static const char list_objects_last[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
  "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
  "<Name>osi-backups</Name><Prefix>site/host/</Prefix><KeyCount>0</KeyCount>"
  "<IsTruncated>false</IsTruncated></ListBucketResult>";

static void
test_xml_list_objects (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objects = NULL;
  g_autofree char *next = NULL;
  OsiS3Object *object;

  objects = osi_s3_parse_list_objects (list_objects_page1, strlen (list_objects_page1), &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (objects->len, ==, 2);
  g_assert_cmpstr (next, ==, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  object = g_ptr_array_index (objects, 0);
  g_assert_cmpstr (object->key, ==, "site/host/a.tar.gz");
  g_assert_cmpint (object->size, ==, 1048576);
  g_assert_cmpstr (object->etag, ==, "\"d41d8cd98f00b204e9800998ecf8427e\"");
  g_assert_cmpstr (object->last_modified, ==, "2026-12-05T20:01:02.000Z");
  object = g_ptr_array_index (objects, 1);
  g_assert_cmpstr (object->key, ==, "site/host/b & c.tar.gz");
  g_assert_cmpint (object->size, ==, G_GINT64_CONSTANT (17179869184));
  g_clear_pointer (&objects, g_ptr_array_unref);
  g_clear_pointer (&next, g_free);

  objects = osi_s3_parse_list_objects (list_objects_last, strlen (list_objects_last), &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (objects->len, ==, 0);
  g_assert_null (next);
}

static void
check_protocol_error (GPtrArray *result,
                      GError    *error)
{
  g_assert_null (result);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL);
}

static void
test_xml_list_objects_bad (void)
{
  static const char *const bodies[] = {
    /* truncated without a token: the next page cannot be asked for */
    "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key><Size>12 MB</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
    /* another document, or none */
    "<ListPartsResult></ListPartsResult>",
    "<Error><Code>NoSuchBucket</Code></Error>",
    "",
    "   ",
    "<html><body>502 Bad Gateway</body></html>",
    "not xml at all",
    /* cut off */
    "<ListBucketResult><Contents><Key>k</Key><Size>1</Si",
    "<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>",
    /* two roots */
    "<ListBucketResult/><ListBucketResult/>",
    /* entities other than the five are refused, never expanded */
    "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">]><ListBucketResult><Prefix>&a;&a;</Prefix></ListBucketResult>",
    "<ListBucketResult><Prefix>\xff\xfe</Prefix></ListBucketResult>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) objects = NULL;
      g_autofree char *next = NULL;
      /* Escaped: a body that is not UTF-8 would break the TAP log. */
      g_autofree char *shown = g_strescape (bodies[i], NULL);

      g_test_message ("%s", shown);
      objects = osi_s3_parse_list_objects (bodies[i], strlen (bodies[i]), &next, &error);
      check_protocol_error (objects, error);
      g_assert_null (next);
    }
}

static void
test_xml_hostile (void)
{
  g_autoptr(GString) deep = g_string_new ("<ListBucketResult>");
  g_autoptr(GString) wide = g_string_new ("<ListBucketResult>");
  g_autoptr(GString) huge = g_string_new ("<ListBucketResult><Prefix>");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objects = NULL;
  g_autofree char *next = NULL;

  /* 100,000 levels: refused at depth 16, no recursion in sight */
  for (guint i = 0; i < 100000; i++)
    g_string_append (deep, "<a>");
  objects = osi_s3_parse_list_objects (deep->str, deep->len, &next, &error);
  check_protocol_error (objects, error);
  g_clear_error (&error);

  /* more elements than a page can hold */
  while (wide->len < OSI_S3_MAX_BODY - 64)
    g_string_append (wide, "<a/>");
  g_string_append (wide, "</ListBucketResult>");
  objects = osi_s3_parse_list_objects (wide->str, wide->len, &next, &error);
  check_protocol_error (objects, error);
  g_clear_error (&error);

  /* over the cap: refused before any parsing */
  while (huge->len <= OSI_S3_MAX_BODY)
    g_string_append (huge, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (huge, "</Prefix><IsTruncated>false</IsTruncated></ListBucketResult>");
  objects = osi_s3_parse_list_objects (huge->str, huge->len, &next, &error);
  check_protocol_error (objects, error);
  g_assert_nonnull (strstr (error->message, "too large"));
}

static void
test_xml_list_parts (void)
{
  static const char body[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>osi-backups</Bucket><Key>site/host/a.tar.gz</Key>"
    "<UploadId>2~iCw_lDY8UpH5pUcw0d8GNJNVsM2jCWa</UploadId>"
    "<StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker>"
    "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts>"
    "<IsTruncated>true</IsTruncated>"
    "<Part><LastModified>2026-12-05T20:01:02.000Z</LastModified><PartNumber>1</PartNumber>"
    "<ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>67108864</Size></Part>"
    "<Part><LastModified>2026-12-05T20:01:09.000Z</LastModified><PartNumber>2</PartNumber>"
    "<ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4d8&quot;</ETag><Size>67108864</Size></Part>"
    "</ListPartsResult>";
  static const char last[] =
    "<ListPartsResult><IsTruncated>false</IsTruncated>"
    "<Part><PartNumber>10000</PartNumber><ETag>\"e\"</ETag><Size>5</Size></Part></ListPartsResult>";
  static const char *const bad[] = {
    "<ListPartsResult><Part><PartNumber>0</PartNumber><ETag>\"e\"</ETag><Size>5</Size></Part></ListPartsResult>",
    "<ListPartsResult><Part><PartNumber>10001</PartNumber><ETag>\"e\"</ETag><Size>5</Size></Part></ListPartsResult>",
    "<ListPartsResult><Part><PartNumber>1</PartNumber><Size>5</Size></Part></ListPartsResult>",
    "<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>",
    "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>0</NextPartNumberMarker></ListPartsResult>",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  OsiS3Part *part;
  guint next;

  parts = osi_s3_parse_list_parts (body, strlen (body), &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parts->len, ==, 2);
  g_assert_cmpuint (next, ==, 2);
  part = g_ptr_array_index (parts, 1);
  g_assert_cmpuint (part->number, ==, 2);
  g_assert_cmpstr (part->etag, ==, "\"aaaa18db4cc2f85cedef654fccc4a4d8\"");
  g_assert_cmpint (part->size, ==, 67108864);
  g_clear_pointer (&parts, g_ptr_array_unref);

  parts = osi_s3_parse_list_parts (last, strlen (last), &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parts->len, ==, 1);
  g_assert_cmpuint (next, ==, 0);
  g_assert_cmpuint (((OsiS3Part *) g_ptr_array_index (parts, 0))->number, ==, 10000);
  g_clear_pointer (&parts, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      parts = osi_s3_parse_list_parts (bad[i], strlen (bad[i]), &next, &error);
      check_protocol_error (parts, error);
      g_clear_error (&error);
    }
}

static void
test_xml_list_uploads (void)
{
  static const char body[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>osi-backups</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
    "<NextKeyMarker>site/host/b.tar.gz</NextKeyMarker>"
    "<NextUploadIdMarker>2~b</NextUploadIdMarker><Prefix>site/host/</Prefix>"
    "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
    "<Upload><Key>site/host/a.tar.gz</Key><UploadId>2~a</UploadId>"
    "<Initiator><ID>osi</ID></Initiator><Owner><ID>osi</ID></Owner>"
    "<StorageClass>STANDARD</StorageClass><Initiated>2026-12-05T20:01:02.000Z</Initiated></Upload>"
    "<Upload><Key>site/host/b.tar.gz</Key><UploadId>2~b</UploadId>"
    "<Initiated>2026-12-05T20:02:02.000Z</Initiated></Upload>"
    "</ListMultipartUploadsResult>";
  static const char last[] =
    "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
  static const char bad[] =
    "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = NULL;
  g_autofree char *key_marker = NULL;
  g_autofree char *id_marker = NULL;
  OsiS3Upload *upload;

  uploads = osi_s3_parse_list_uploads (body, strlen (body), &key_marker, &id_marker, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 2);
  g_assert_cmpstr (key_marker, ==, "site/host/b.tar.gz");
  g_assert_cmpstr (id_marker, ==, "2~b");
  upload = g_ptr_array_index (uploads, 0);
  g_assert_cmpstr (upload->key, ==, "site/host/a.tar.gz");
  g_assert_cmpstr (upload->upload_id, ==, "2~a");
  g_assert_cmpstr (upload->initiated, ==, "2026-12-05T20:01:02.000Z");
  g_clear_pointer (&uploads, g_ptr_array_unref);
  g_clear_pointer (&key_marker, g_free);
  g_clear_pointer (&id_marker, g_free);

  uploads = osi_s3_parse_list_uploads (last, strlen (last), &key_marker, &id_marker, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 0);
  g_assert_null (key_marker);
  g_clear_pointer (&uploads, g_ptr_array_unref);

  uploads = osi_s3_parse_list_uploads (bad, strlen (bad), &key_marker, &id_marker, &error);
  check_protocol_error (uploads, error);
}

#define KEY "site/host/a.tar.gz"

static void
test_xml_multipart (void)
{
  static const char initiate[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>osi-backups</Bucket><Key>site/host/a.tar.gz</Key>"
    "<UploadId>2~iCw_lDY8UpH5pUcw0d8GNJNVsM2jCWa</UploadId></InitiateMultipartUploadResult>";
  static const char complete[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n"
    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Location>http://127.0.0.1:7480/osi-backups/site/host/a.tar.gz</Location>"
    "<Bucket>osi-backups</Bucket><Key>site/host/a.tar.gz</Key>"
    "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag></CompleteMultipartUploadResult>";
  static const char complete_rgw[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUploadResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://127.0.0.1:40180/osi-backups/"
    "site/a/hôte local+~/a b+c%=&amp;?;*&apos;(x).tar.gz</Location><Bucket>osi-backups</Bucket>"
    "<Key>site/a/hôte local+~/a b+c%=&amp;?;*&apos;(x).tar.gz</Key><ETag></ETag>"
    "</CompleteMultipartUploadResult>";
  /* 200, then the failure (the AWS documentation warns of it) */
  static const char complete_failed[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>"
    "<RequestId>656c76696e6727732072657175657374</RequestId></Error>";
  static const char complete_bad_part[] =
    "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message></Error>";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) osi_s3_part_free);
  g_autofree char *upload_id = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *body = NULL;
  OsiS3Part *part;

  upload_id = osi_s3_parse_initiate (initiate, strlen (initiate), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (upload_id, ==, "2~iCw_lDY8UpH5pUcw0d8GNJNVsM2jCWa");
  g_clear_pointer (&upload_id, g_free);
  upload_id = osi_s3_parse_initiate (complete, strlen (complete), &error);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL);
  g_assert_null (upload_id);
  g_clear_error (&error);

  etag = osi_s3_parse_complete (complete, strlen (complete), KEY, NULL, "osi-backups", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (etag, ==, "\"3858f62230ac3c915f300c664312c11f-9\"");
  g_clear_pointer (&etag, g_free);
  etag = osi_s3_parse_complete (complete_failed, strlen (complete_failed), KEY, NULL, "osi-backups", &error);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT);
  g_assert_null (etag);
  g_clear_error (&error);
  etag = osi_s3_parse_complete (complete_bad_part, strlen (complete_bad_part), KEY, NULL, "osi-backups", &error);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "InvalidPart"));
  g_assert_null (etag);
  g_clear_error (&error);
  /* As the RADOS Gateway 16.2 of Debian 12 answers: an empty ETag */
  etag = osi_s3_parse_complete (complete_rgw, strlen (complete_rgw), KEY, NULL, "osi-backups", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (etag, ==, "");
  g_clear_pointer (&etag, g_free);
  etag = osi_s3_parse_complete (initiate, strlen (initiate), KEY, NULL, "osi-backups", &error);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL);
  g_assert_null (etag);

  part = g_new0 (OsiS3Part, 1);
  part->number = 1;
  part->etag = g_strdup ("\"a54357aff0632cce46d942af68356b38\"");
  g_ptr_array_add (parts, part);
  part = g_new0 (OsiS3Part, 1);
  part->number = 2;
  part->etag = g_strdup ("\"<&>\"");
  g_ptr_array_add (parts, part);
  body = osi_s3_complete_body (parts);
  g_assert_cmpstr (body, ==,
                   "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<Part><PartNumber>1</PartNumber><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
                   "<Part><PartNumber>2</PartNumber><ETag>&quot;&lt;&amp;&gt;&quot;</ETag></Part>"
                   "</CompleteMultipartUpload>");
}

static void
check_http_error (long        status,
                  const char *body,
                  int         code,
                  const char *in_message)
{
  g_autoptr(GError) error = NULL;

  g_test_message ("%ld %s", status, body != NULL ? body : "(no body)");
  osi_s3_set_http_error (&error, status, body, body != NULL ? strlen (body) : 0,
                         "site/host/a.tar.gz", "/etc/osi-backup/s3.conf", "osi-backups");
  g_assert_error (error, OSI_S3_ERROR, code);
  if (in_message != NULL)
    g_assert_nonnull (strstr (error->message, in_message));
}

#define ERROR_BODY(code) \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" code "</Code>" \
  "<Message>Some message.</Message><BucketName>osi-backups</BucketName>" \
  "<RequestId>tx00000a</RequestId><HostId>a-default</HostId></Error>"

static void
test_http_errors (void)
{
  check_http_error (403, ERROR_BODY ("SignatureDoesNotMatch"), OSI_S3_ERROR_AUTH, "/etc/osi-backup/s3.conf");
  check_http_error (403, ERROR_BODY ("InvalidAccessKeyId"), OSI_S3_ERROR_AUTH, "access_key");
  check_http_error (403, ERROR_BODY ("AccessDenied"), OSI_S3_ERROR_AUTH, NULL);
  check_http_error (403, NULL, OSI_S3_ERROR_AUTH, NULL);   /* a HEAD's answer */
  check_http_error (403, ERROR_BODY ("RequestTimeTooSkewed"), OSI_S3_ERROR_AUTH, "clock");
  check_http_error (404, ERROR_BODY ("NoSuchBucket"), OSI_S3_ERROR_NO_BUCKET, "osi-backups");
  check_http_error (404, ERROR_BODY ("NoSuchKey"), OSI_S3_ERROR_NOT_FOUND, "site/host/a.tar.gz");
  check_http_error (404, ERROR_BODY ("NoSuchUpload"), OSI_S3_ERROR_NOT_FOUND, NULL);
  check_http_error (404, NULL, OSI_S3_ERROR_NOT_FOUND, NULL);
  check_http_error (503, ERROR_BODY ("SlowDown"), OSI_S3_ERROR_TRANSIENT, "SlowDown");
  check_http_error (500, ERROR_BODY ("InternalError"), OSI_S3_ERROR_TRANSIENT, NULL);
  check_http_error (500, NULL, OSI_S3_ERROR_TRANSIENT, "500");
  check_http_error (400, ERROR_BODY ("RequestTimeout"), OSI_S3_ERROR_TRANSIENT, NULL);
  check_http_error (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", OSI_S3_ERROR_TRANSIENT, "502");
  check_http_error (400, ERROR_BODY ("EntityTooSmall"), OSI_S3_ERROR_FAILED, "Some message.");
  check_http_error (400, "<html>", OSI_S3_ERROR_FAILED, "400");
  check_http_error (409, ERROR_BODY ("BucketNotEmpty"), OSI_S3_ERROR_FAILED, "BucketNotEmpty");
}

/* A real socket that refuses connections: the network error curl meets
 * is that of a gateway that is down. Cancelling is seen before any
 * connection. */
static void
test_network_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(OsiS3) s3 = NULL;
  g_autofree char *url = NULL;
  g_auto(OsiS3Head) head = { 0 };

  /* Bound, never listening: connections to it are refused. */
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (sock, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u/osi-backups",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  s3 = osi_s3_new (url, "AKIA", "secret", NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (osi_s3_head_object (s3, "host/a.tar.gz", &head, NULL, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT);
  g_assert_null (strstr (error->message, "secret"));
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  g_assert_false (osi_s3_delete_object (s3, "host/a.tar.gz", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* --offsite-credentials */

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("osi-s3-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_assert_no_errno (unlink (path));
    }
  g_assert_no_errno (rmdir (fixture->dir));
  g_free (fixture->dir);
}

static char *
write_credentials (Fixture    *fixture,
                   const char *text,
                   mode_t      mode)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, "credentials", NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (chmod (path, mode));
  return path;
}

static void
test_credentials_good (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *access = NULL;
  g_autofree char *secret = NULL;

  path = write_credentials (fixture,
                            "# off-site copies, the osi-backup user of the gateway\n"
                            "\n"
                            "  access_key=AKIAIOSFODNN7EXAMPLE  \r\n"
                            "\tsecret_key =  wJalrXUtnFEMI/K7MDENG/bPxRfiCY+EX=AMPLEKEY\n"
                            "   # an indented comment\n",
                            0600);
  g_assert_true (osi_s3_read_credentials (path, &access, &secret, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (access, ==, "AKIAIOSFODNN7EXAMPLE");
  g_assert_cmpstr (secret, ==, "wJalrXUtnFEMI/K7MDENG/bPxRfiCY+EX=AMPLEKEY");
  g_clear_pointer (&access, g_free);
  g_clear_pointer (&secret, g_free);

  /* Stricter than 0600 is fine too. */
  g_assert_no_errno (chmod (path, 0400));
  g_assert_true (osi_s3_read_credentials (path, &access, &secret, &error));
  g_assert_no_error (error);
}

static void
test_credentials_bad (Fixture       *fixture,
                      gconstpointer  data)
{
  static const struct
  {
    const char *text;
    mode_t      mode;
    const char *in_message;
  } cases[] = {
    { "access_key = A\nsecret_key = S3CR3T\n", 0644, "chmod 600" },
    { "access_key = A\nsecret_key = S3CR3T\n", 0640, "chmod 600" },
    { "access_key = A\nsecret_key = S3CR3T\n", 0602, "chmod 600" },
    { "access_key = A\n", 0600, "secret_key" },
    { "secret_key = S3CR3T\n", 0600, "access_key" },
    { "# nothing\n\n", 0600, "access_key" },
    { "", 0600, "access_key" },
    { "access_key = A\naccess_key = B\nsecret_key = S3CR3T\n", 0600, "twice" },
    /* the awscli names, a missing '=', an empty value: line numbers only */
    { "[default]\naws_access_key_id = A\n", 0600, "Line 1" },
    { "access_key = A\nsecret_key S3CR3T\n", 0600, "Line 2" },
    { "access_key = A\nsecret_key =\n", 0600, "Line 2" },
    { "access_key = A\nsecret_key: S3CR3T\n", 0600, "Line 2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = write_credentials (fixture, cases[i].text, cases[i].mode);
      g_autofree char *access = NULL;
      g_autofree char *secret = NULL;

      g_test_message ("%s (%o)", cases[i].text, (unsigned) cases[i].mode);
      g_assert_false (osi_s3_read_credentials (path, &access, &secret, &error));
      g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
      g_assert_null (access);
      g_assert_null (secret);
      if (cases[i].in_message != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].in_message));
      /* The secret is never told. */
      g_assert_null (strstr (error->message, "S3CR3T"));
    }
}

static void
test_credentials_files (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  g_autofree char *large = NULL;
  g_autofree char *access = NULL;
  g_autofree char *secret = NULL;
  g_autoptr(GString) text = g_string_new ("access_key = A\nsecret_key = S\n");

  g_assert_false (osi_s3_read_credentials (missing, &access, &secret, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_no_errno (chmod (fixture->dir, 0700));
  g_assert_false (osi_s3_read_credentials (fixture->dir, &access, &secret, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
  g_clear_error (&error);

  /* A NUL: not a text file. */
  g_file_set_contents (large = g_build_filename (fixture->dir, "nul", NULL),
                       "access_key = A\n\0secret_key = S\n", 31, &error);
  g_assert_no_error (error);
  g_assert_no_errno (chmod (large, 0600));
  g_assert_false (osi_s3_read_credentials (large, &access, &secret, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&large, g_free);

  while (text->len <= 64 * 1024)
    g_string_append (text, "# padding padding padding padding padding padding padding\n");
  large = write_credentials (fixture, text->str, 0600);
  g_assert_false (osi_s3_read_credentials (large, &access, &secret, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID);
  g_assert_null (access);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/s3/uri-encode", test_uri_encode);
  g_test_add_func ("/s3/canonical-query", test_canonical_query);
  g_test_add_func ("/s3/url/good", test_url_good);
  g_test_add_func ("/s3/url/bad", test_url_bad);
  g_test_add_func ("/s3/url/message", test_url_message);
  g_test_add_func ("/s3/keys", test_keys);
  g_test_add_func ("/s3/new-bad", test_new_bad);
  g_test_add_func ("/s3/xml/list-objects", test_xml_list_objects);
  g_test_add_func ("/s3/xml/list-objects-bad", test_xml_list_objects_bad);
  g_test_add_func ("/s3/xml/hostile", test_xml_hostile);
  g_test_add_func ("/s3/xml/list-parts", test_xml_list_parts);
  g_test_add_func ("/s3/xml/list-uploads", test_xml_list_uploads);
  g_test_add_func ("/s3/xml/multipart", test_xml_multipart);
  g_test_add_func ("/s3/http-errors", test_http_errors);
  g_test_add_func ("/s3/network-errors", test_network_errors);
  g_test_add ("/s3/credentials/good", Fixture, NULL, fixture_set_up, test_credentials_good, fixture_tear_down);
  g_test_add ("/s3/credentials/bad", Fixture, NULL, fixture_set_up, test_credentials_bad, fixture_tear_down);
  g_test_add ("/s3/credentials/files", Fixture, NULL, fixture_set_up, test_credentials_files, fixture_tear_down);

  return g_test_run ();
}
