#include "database_location.hpp"

#include <gtest/gtest.h>

namespace tte::mothership {
namespace {

TEST(DatabaseLocation, ReadsSqliteFilesRelativeToTheDataDirectory) {
  auto relative = DatabaseLocation::parse("sqlite:mothership.db", "/var/lib/tte");
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(relative->kind, DatabaseLocation::Kind::sqlite);
  EXPECT_EQ(relative->target, "/var/lib/tte/mothership.db");
  EXPECT_EQ(relative->to_string(), "sqlite:/var/lib/tte/mothership.db");
  EXPECT_EQ(DatabaseLocation::parse("sqlite:/srv/ms.db", "/var/lib/tte")->target, "/srv/ms.db");
  // As written (POSIX reads ///srv as /srv): to_string gives back what was parsed.
  EXPECT_EQ(DatabaseLocation::parse("sqlite:///srv/ms.db")->target, "///srv/ms.db");
  EXPECT_EQ(DatabaseLocation::parse("////x")->to_string(), "sqlite:////x");
  EXPECT_EQ(DatabaseLocation::parse(DatabaseLocation::parse("////x")->to_string())->target,
            "////x");
  // A plain path is a SQLite file (as before --database).
  EXPECT_EQ(DatabaseLocation::parse("/tmp/x/mothership.db")->kind, DatabaseLocation::Kind::sqlite);
  EXPECT_EQ(DatabaseLocation::parse("./a:b.db")->target, "./a:b.db");
}

TEST(DatabaseLocation, TakesPostgresqlUrisAsTheyAre) {
  for (const char* uri : {"postgresql://tte@db.example/tte", "postgres://db/tte?sslmode=require",
                          "postgresql:///tte?host=/run/postgresql"}) {
    auto location = DatabaseLocation::parse(uri, "/var/lib/tte");
    ASSERT_TRUE(location.ok()) << uri;
    EXPECT_EQ(location->kind, DatabaseLocation::Kind::postgresql);
    EXPECT_EQ(location->target, uri);
    EXPECT_EQ(location->to_string(), uri);
  }
}

TEST(DatabaseLocation, RefusesWhatItDoesNotKnow) {
  EXPECT_EQ(DatabaseLocation::parse("").error().code, Errc::missing);
  EXPECT_EQ(DatabaseLocation::parse("sqlite:").error().code, Errc::syntax);
  EXPECT_EQ(DatabaseLocation::parse("mysql://db/tte").error().code, Errc::unsupported);
  EXPECT_EQ(DatabaseLocation::parse("postgresq://db").error().code, Errc::unsupported);
  // libpq's keyword/value form is not a file name (it was made as one, password and all).
  auto conninfo = DatabaseLocation::parse("host=db dbname=tte password=S3CRET");
  ASSERT_FALSE(conninfo.ok());
  EXPECT_EQ(conninfo.error().code, Errc::unsupported);
  EXPECT_EQ(std::string(conninfo.error().message).find("S3CRET"), std::string::npos);
  EXPECT_EQ(DatabaseLocation::parse("dbname=tte\thost=db").error().code, Errc::unsupported);
  EXPECT_TRUE(DatabaseLocation::parse("sqlite:a=b c.db").ok());  // a file named so, said so
  EXPECT_EQ(DatabaseLocation::parse("service=tte").error().code, Errc::unsupported);
  EXPECT_EQ(DatabaseLocation::parse(" dbname = tte").error().code, Errc::unsupported);
  EXPECT_TRUE(DatabaseLocation::parse("data/a=b.db").ok());  // a path: '/' before any '='
  EXPECT_TRUE(DatabaseLocation::parse("my.db").ok());
}

TEST(DatabaseLocation, NeverShowsAPassword) {
  auto redacted = [](const char* uri) { return DatabaseLocation::parse(uri)->redacted(); };
  EXPECT_EQ(redacted("postgresql://tte:s3cret@db:5432/tte"), "postgresql://tte:***@db:5432/tte");
  EXPECT_EQ(redacted("postgresql://tte@db/tte?password=s3cret&sslmode=require"),
            "postgresql://tte@db/tte?password=***&sslmode=require");
  EXPECT_EQ(redacted("postgresql://a:b@c@db/tte"), "postgresql://a:***@db/tte");
  EXPECT_EQ(redacted("postgresql://db/tte?host=/run/postgresql"),
            "postgresql://db/tte?host=/run/postgresql");
  EXPECT_EQ(redacted("postgresql://tte:@db/tte?password="),
            "postgresql://tte:***@db/tte?password=***");
  // As libpq reads them: the user part ends at an '@' before the first '/', and
  // parameter names are percent-decoded.
  EXPECT_EQ(redacted("postgresql://u:pa?ss@db/tte"), "postgresql://u:***@db/tte");
  EXPECT_EQ(redacted("postgresql://u:pa?ss@db/tte?password=x"),
            "postgresql://u:***@db/tte?password=***");
  EXPECT_EQ(redacted("postgresql://db/tte?pass%77ord=s3cret"),
            "postgresql://db/tte?pass%77ord=***");
  EXPECT_EQ(redacted("postgresql://db/tte?sslmode=require&sslpassword=s3cret&user=u"),
            "postgresql://db/tte?sslmode=require&sslpassword=***&user=u");
  EXPECT_EQ(redacted("postgresql://db/tte?passwordx=1&xpassword=2"),
            "postgresql://db/tte?passwordx=1&xpassword=2");
  EXPECT_EQ(redact_database_text("mysql://u:s3cret@db/x"), "mysql://u:***@db/x");
  // libpq's keyword/value form, which parse refuses but an error names.
  EXPECT_EQ(redact_database_text("host=db password=s3cret dbname=tte"),
            "host=db password=*** dbname=tte");
  EXPECT_EQ(redact_database_text("sslpassword = 'a b\\' c' user=x"), "sslpassword = *** user=x");
  EXPECT_EQ(redact_database_text("password=ab\\ cd host=x"), "password=*** host=x");
  EXPECT_EQ(redact_database_text("password\n=\ns3cret"), "password\n=\n***");
  // The fuzzer's: a quoted value with "://" in it, blanks after '='.
  EXPECT_EQ(redact_database_text("password='l://0 1' ql=10"), "password=*** ql=10");
  EXPECT_EQ(redact_database_text("password=\n\nt"), "password=\n\n***");
  // A URI's message keeps what follows its password (libpq's closing quote).
  EXPECT_EQ(redact_database_text("in URI: \"postgresql://h/d?password=x&sslmode=require\""),
            "in URI: \"postgresql://h/d?password=***&sslmode=require\"");
  // Where libpq would read no parameter, one is hidden all the same.
  EXPECT_EQ(redacted("postgres://db&password=s3cret"), "postgres://db&password=***");
  EXPECT_EQ(redacted("postgresql://?password=s3cret@db/x"), "postgresql://?password=***");
}

TEST(DatabaseLocation, KnowsWhetherAUriHoldsAPassword) {
  auto has = [](const char* uri) { return DatabaseLocation::parse(uri)->has_password(); };
  EXPECT_TRUE(has("postgresql://u:s@db/tte"));
  EXPECT_TRUE(has("postgresql://db/tte?password=s"));
  EXPECT_TRUE(has("postgresql://db/tte?sslpassword=s"));
  EXPECT_TRUE(has("postgresql://db/tte?%70assword=s"));
  EXPECT_FALSE(has("postgresql://u@db/tte?host=/run/postgresql"));
  EXPECT_FALSE(has("sqlite:pass:word@x"));
}

}  // namespace
}  // namespace tte::mothership
