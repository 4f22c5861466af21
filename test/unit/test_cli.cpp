// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The pure parts of the `beeos` tool (tools/cli): durations, conditions, fields and JSON,
// tables, the progress line, exit codes, id files, the configuration, and the command line
// run in-process for everything that sends nothing.
#include "dto_properties.hpp"

#include <cli/attempt_log.hpp>
#include <cli/commands.hpp>
#include <cli/condition.hpp>
#include <cli/console.hpp>
#include <cli/duration.hpp>
#include <cli/exit_status.hpp>
#include <cli/fields.hpp>
#include <cli/ids.hpp>
#include <cli/options.hpp>
#include <cli/progress.hpp>
#include <cli/table.hpp>
#include <cli/watch_format.hpp>

#include <beeos/error.hpp>
#include <beeos/version.hpp>
#include <beeos/waiter.hpp>

#include <boost/json/parse.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/variables_map.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace cli = beeos::cli;
namespace json = boost::json;
namespace po = boost::program_options;

namespace
{

constexpr std::string_view secret = "oag_UNIT_SECRET_4b7e_never_print";

bool contains(std::string_view s, std::string_view part)
{
    return s.find(part) != std::string_view::npos;
}

std::string message_of(auto&& f)
{
    try
    {
        f();
    }
    catch (const std::invalid_argument& e)
    {
        return e.what();
    }
    return "(no exception)";
}

using beeos::test::dto_properties;

beeos::instance sample_instance()
{
    beeos::instance i;
    i.id = "inst_1";
    i.owner_id = "user_1";
    i.name = "atlas";
    i.models = {"a", "b"};
    i.status = beeos::instance_status::running;
    i.status_text = "running";
    i.desired_status = beeos::desired_state::unknown;
    i.desired_status_text = "hibernating";  // a value this version does not know
    i.connectivity = beeos::connectivity_state::online;
    i.connectivity_text = "online";
    i.total_run_seconds = 1843275;
    i.is_trial = true;
    i.provider_config["cpu"] = "2";
    i.started_at = beeos::parse_timestamp("2026-05-14T18:02:11.482913Z");
    i.capabilities = json::object{{"version", 1}};
    i.region = "us-east-1";
    return i;
}

// The tool's output, read back from temporary files.
struct captured
{
    int code = 0;
    std::string out;
    std::string err;
};

std::string slurp(std::FILE* f)
{
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
        s.append(buf, n);
    return s;
}

captured run_cli(std::vector<std::string> args, std::map<std::string, std::string> env = {})
{
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    BOOST_REQUIRE(out && err);
    args.insert(args.begin(), "beeos");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    captured c;
    {
        cli::console con(fileno(out), fileno(err));
        c.code = cli::run(
            static_cast<int>(args.size()),
            argv.data(),
            [&env](const char* name) -> const char*
            {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
            },
            con
        );
    }
    c.out = slurp(out);
    c.err = slurp(err);
    std::fclose(out);
    std::fclose(err);
    return c;
}

po::variables_map parse_connection(std::vector<std::string> args, bool per_call = true)
{
    po::options_description d = cli::connection_options(per_call);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(d).run(), vm);
    return vm;
}

cli::env_lookup env_of(const std::map<std::string, std::string>& env)
{
    return [&env](const char* name) -> const char*
    {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    };
}

struct temp_file
{
    explicit temp_file(std::string_view content)
    {
        char name[] = "/tmp/beeos-cli-unit-XXXXXX";
        int fd = ::mkstemp(name);
        BOOST_REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path) << content;
    }
    ~temp_file() { std::remove(path.c_str()); }
    std::string path;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_tests)

BOOST_AUTO_TEST_CASE(durations_in_every_unit)
{
    BOOST_TEST(cli::parse_duration("500ms").count() == 500);
    BOOST_TEST(cli::parse_duration("30s").count() == 30'000);
    BOOST_TEST(cli::parse_duration("5m").count() == 300'000);
    BOOST_TEST(cli::parse_duration("1h").count() == 3'600'000);
    BOOST_TEST(cli::parse_duration("1h30m").count() == 5'400'000);
    BOOST_TEST(cli::parse_duration("1m30s250ms").count() == 90'250);
    BOOST_TEST(cli::parse_duration("1.5s").count() == 1'500);
    BOOST_TEST(cli::parse_duration("0.1s").count() == 100);  // exact, not 99
    BOOST_TEST(cli::parse_duration("720h").count() == 720LL * 3'600'000);
}

BOOST_AUTO_TEST_CASE(durations_rejected_with_the_form)
{
    for (std::string_view bad : {"", "30", "5x", "ms", "-1s", "0s", "0.0001s", "1.s5", "721h", "99999999999999999999h", "1 s", "s30"})
    {
        std::string m = message_of([&] { cli::parse_duration(bad); });
        BOOST_TEST(contains(m, "invalid duration '" + std::string(bad) + "'"), bad << ": " << m);
        BOOST_TEST(contains(m, "500ms, 30s, 5m"), m);
    }
}

BOOST_AUTO_TEST_CASE(durations_format_back)
{
    for (std::string_view text : {"1h30m", "250ms", "5m", "1h", "2s500ms"})
        BOOST_TEST(cli::format_duration(cli::parse_duration(text)) == text);
    BOOST_TEST(cli::format_duration(0ms) == "0s");
}

BOOST_AUTO_TEST_CASE(conditions)
{
    beeos::instance i = sample_instance();
    i.desired_status = beeos::desired_state::running;
    auto ro = cli::parse_condition("running-online");
    BOOST_TEST(ro.description == beeos::running_and_online().description);
    BOOST_TEST(ro.satisfied(i));
    i.connectivity = beeos::connectivity_state::offline;
    BOOST_TEST(!ro.satisfied(i));

    auto stopped = cli::parse_condition("status=stopped");
    BOOST_TEST(!stopped.satisfied(i));
    i.status = beeos::instance_status::stopped;
    BOOST_TEST(stopped.satisfied(i));
    i.status = beeos::instance_status::terminated;
    BOOST_REQUIRE(stopped.unreachable);
    BOOST_TEST(stopped.unreachable(i).has_value());

    for (std::string_view s : {"pending", "provisioning", "running", "stopped", "terminated"})
        BOOST_CHECK_NO_THROW(cli::parse_condition("status=" + std::string(s)));
    for (std::string_view bad : {"status=unknown", "status=", "running", "status=Running", "online", ""})
    {
        std::string m = message_of([&] { cli::parse_condition(bad); });
        BOOST_TEST(contains(m, "unknown condition '" + std::string(bad) + "'"), m);
        BOOST_TEST(
            contains(m, "running-online, status=pending, status=provisioning, status=running, status=stopped, status=terminated"), m
        );
    }
}

BOOST_AUTO_TEST_CASE(every_dto_property_is_a_field)
{
    std::vector<std::string> names;
    for (const cli::field& f : cli::all_fields())
        names.emplace_back(f.name);
    BOOST_TEST(names == dto_properties, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fields_by_wire_name)
{
    auto fs = cli::parse_fields("status,id,publicIp");
    BOOST_REQUIRE(fs.size() == 3u);
    BOOST_TEST(fs[0]->name == "status");
    BOOST_TEST(fs[1]->name == "id");
    BOOST_TEST(fs[2]->name == "publicIp");

    std::string m = message_of([] { cli::parse_fields("id,public_ip"); });
    BOOST_TEST(contains(m, "unknown field 'public_ip'"), m);
    for (const auto& name : dto_properties)
        BOOST_TEST(contains(m, name), "the message lists " << name);
    BOOST_TEST(contains(message_of([] { cli::parse_fields("id,,status"); }), "empty field name"));
    BOOST_TEST(contains(message_of([] { cli::parse_fields(""); }), "empty field name"));
    BOOST_TEST(contains(message_of([] { cli::parse_fields("id,id"); }), "'id' is given twice"));
    BOOST_TEST(contains(message_of([] { cli::parse_fields("Id"); }), "unknown field 'Id'"));
}

BOOST_AUTO_TEST_CASE(json_of_an_instance)
{
    const beeos::instance i = sample_instance();
    json::object o = cli::to_json(i, cli::every_field());
    std::vector<std::string> keys;
    for (const auto& kv : o)
        keys.emplace_back(kv.key());
    BOOST_TEST(keys == dto_properties, boost::test_tools::per_element());

    BOOST_TEST(o.at("id") == "inst_1");
    BOOST_TEST(o.at("models") == (json::array{"a", "b"}));
    BOOST_TEST(o.at("status") == "running");
    BOOST_TEST(o.at("desiredStatus") == "hibernating");  // the raw text of an unknown value
    BOOST_TEST(o.at("connectivity") == "online");
    BOOST_TEST(o.at("msConnectionStatus") == "");  // absent: unknown with no text
    BOOST_TEST(o.at("totalRunSeconds") == 1843275);
    BOOST_TEST(o.at("isTrial") == true);
    BOOST_TEST(o.at("providerConfig") == (json::object{{"cpu", "2"}}));
    BOOST_TEST(o.at("startedAt") == "2026-05-14T18:02:11.482913Z");
    BOOST_TEST(o.at("stoppedAt").is_null());
    BOOST_TEST(o.at("capabilities") == (json::object{{"version", 1}}));
    BOOST_TEST(o.at("mcpServers") == json::object());

    beeos::instance bare;
    BOOST_TEST(cli::to_json(bare, cli::parse_fields("capabilities")).at("capabilities").is_null());

    // Only the chosen keys, in the chosen order.
    json::object some = cli::to_json(i, cli::parse_fields("region,id"));
    BOOST_REQUIRE(some.size() == 2u);
    BOOST_TEST(some.begin()->key() == "region");
}

BOOST_AUTO_TEST_CASE(cells_of_values)
{
    BOOST_TEST(cli::cell_text(json::value(nullptr)) == "");
    BOOST_TEST(cli::cell_text(json::value("x y")) == "x y");
    BOOST_TEST(cli::cell_text(json::value(42)) == "42");
    BOOST_TEST(cli::cell_text(json::value(false)) == "false");
    BOOST_TEST(cli::cell_text(json::array{"a", "b"}) == "a,b");
    BOOST_TEST(cli::cell_text(json::array{1, "b"}) == "[1,\"b\"]");
    BOOST_TEST(cli::cell_text(json::object{{"k", 1}}) == "{\"k\":1}");
}

BOOST_AUTO_TEST_CASE(cells_are_safe_for_a_terminal)
{
    BOOST_TEST(cli::sanitize_cell("a\x1b[2Jb") == "a?[2Jb");
    BOOST_TEST(cli::sanitize_cell("a\tb\nc\rd") == "a b c d");
    BOOST_TEST(cli::sanitize_cell("x\x7fy") == "x?y");
    BOOST_TEST(
        cli::sanitize_cell("x\xC2\x9B"
                           "1m") == "x?1m"
    );                                                               // U+009B, the 8-bit CSI
    BOOST_TEST(cli::sanitize_cell("caf\xC3\xA9") == "caf\xC3\xA9");  // ordinary UTF-8 stays
}

BOOST_AUTO_TEST_CASE(widths_and_truncation)
{
    BOOST_TEST(cli::display_width("caf\xC3\xA9") == 4u);
    BOOST_TEST(cli::truncate_to_width("abcdef", 6) == "abcdef");
    BOOST_TEST(cli::truncate_to_width("abcdefg", 6) == "abcde\xE2\x80\xA6");
    BOOST_TEST(cli::display_width(cli::truncate_to_width("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3)) == 3u);
    BOOST_TEST(cli::truncate_to_width("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xC3\xA9\xE2\x80\xA6");

    cli::row header = {"id", "status"};
    std::vector<cli::row> rows = {{"inst_1", "running"}, {"inst_22", ""}};
    auto w = cli::column_widths(header, rows, 60);
    BOOST_TEST(w == (std::vector<std::size_t>{7, 7}), boost::test_tools::per_element());
    BOOST_TEST(cli::format_aligned_row(rows[0], w, 60) == "inst_1   running\n");
    BOOST_TEST(cli::format_aligned_row(rows[1], w, 60) == "inst_22  -\n");  // empty shows as '-'
    BOOST_TEST(cli::column_widths({"x"}, {{std::string(100, 'a')}}, 10)[0] == 10u);
    BOOST_TEST(cli::format_tsv_row({"a", "", "c"}) == "a\t\tc\n");
}

BOOST_AUTO_TEST_CASE(aligned_table_holds_back_only_its_sample)
{
    std::string printed;
    cli::table_printer t(
        {"id", "name"}, cli::table_style::aligned, [&](std::string_view s) { printed += s; }, 2
    );
    t.add({"a", "x"});
    BOOST_TEST(printed.empty());  // still choosing widths
    t.add({"bbb", "y"});
    BOOST_TEST(printed == "id   name\na    x\nbbb  y\n");
    t.add({"cccccc", "z"});  // wider than its column: its own line shifts, nothing is lost
    BOOST_TEST(printed == "id   name\na    x\nbbb  y\ncccccc  z\n");
    t.finish();
    t.finish();
    BOOST_TEST(printed == "id   name\na    x\nbbb  y\ncccccc  z\n");

    std::string empty;
    cli::table_printer e({"id"}, cli::table_style::aligned, [&](std::string_view s) { empty += s; });
    e.finish();
    BOOST_TEST(empty == "id\n");

    std::string tsv;
    cli::table_printer s({"id", "name"}, cli::table_style::tsv, [&](std::string_view l) { tsv += l; });
    s.add({"a", "x"});
    BOOST_TEST(tsv == "a\tx\n");  // at once, no header
    s.finish();
    BOOST_TEST(tsv == "a\tx\n");
}

BOOST_AUTO_TEST_CASE(progress_line)
{
    cli::progress_state s{.done = 4500, .total = 10000, .errors = 3, .elapsed = 2s};
    std::string line = cli::format_progress(s, 120);
    BOOST_TEST(line.size() <= 119u);
    BOOST_TEST(contains(line, "4500/10000"), line);
    BOOST_TEST(contains(line, "45%"), line);
    BOOST_TEST(contains(line, "2250/s"), line);
    BOOST_TEST(contains(line, "errors 3"), line);
    BOOST_TEST(contains(line, "ETA 0:02"), line);  // 5500 left at 2250/s
    BOOST_TEST(line.starts_with("["), line);
    BOOST_TEST(line.find('\r') == std::string::npos);
    BOOST_TEST(line.find('\n') == std::string::npos);

    for (std::size_t width : {1u, 5u, 20u, 40u, 50u, 80u, 200u})
        BOOST_TEST(cli::format_progress(s, width).size() <= width - 1, "width " << width);
    BOOST_TEST(!cli::format_progress(s, 50).starts_with("["));  // no room for a bar of 10

    cli::progress_state start{.done = 0, .total = 10, .errors = 0, .elapsed = 0ms};
    BOOST_TEST(contains(cli::format_progress(start, 120), "ETA --:--"));
    BOOST_TEST(contains(cli::format_progress(start, 120), "-/s"));
    cli::progress_state end{.done = 10, .total = 10, .errors = 0, .elapsed = 1s};
    BOOST_TEST(contains(cli::format_progress(end, 120), "100%"));
    BOOST_TEST(contains(cli::format_progress(end, 120), "[=================================================="));

    BOOST_TEST(cli::format_eta(75s) == "1:15");
    BOOST_TEST(cli::format_eta(3725s) == "1:02:05");
}

BOOST_AUTO_TEST_CASE(classes_of_failures)
{
    using beeos::errc;
    BOOST_TEST(cli::classify({}) == cli::exit_ok);
    for (errc e : {errc::unauthorized, errc::forbidden})
        BOOST_TEST(cli::classify(e) == cli::exit_auth);
    BOOST_TEST(cli::classify(errc::not_found) == cli::exit_not_found);
    for (errc e : {errc::timeout, errc::connection, errc::server_error, errc::rate_limited, errc::tls, errc::shut_down})
        BOOST_TEST(cli::classify(e) == cli::exit_transient);
    BOOST_TEST(cli::classify(errc::certificate) == cli::exit_certificate);
    for (errc e : {errc::bad_request, errc::decode, errc::protocol, errc::http_error, errc::invalid_argument, errc::body_too_large})
        BOOST_TEST(cli::classify(e) == cli::exit_failed);
    BOOST_TEST(cli::classify(errc::cancelled) == cli::exit_interrupted);
    BOOST_TEST(cli::classify(beeos::wait_errc::deadline_passed) == cli::exit_transient);
    BOOST_TEST(cli::classify(beeos::wait_errc::condition_unreachable) == cli::exit_failed);
}

BOOST_AUTO_TEST_CASE(exit_code_precedence)
{
    using beeos::errc;
    auto code_of = [](std::vector<errc> failures, std::size_t successes = 1)
    {
        cli::exit_status s;
        for (std::size_t i = 0; i < successes; ++i)
            s.add_success();
        for (errc e : failures)
            s.add_failure(e);
        return s.code();
    };
    BOOST_TEST(code_of({}) == 0);
    BOOST_TEST(code_of({}, 0) == 0);
    BOOST_TEST(code_of({errc::not_found, errc::not_found}) == 4);
    BOOST_TEST(code_of({errc::not_found}, 0) == 4);
    BOOST_TEST(code_of({errc::decode}) == 1);
    BOOST_TEST(code_of({errc::not_found, errc::decode}) == 1);  // not found wins only alone
    BOOST_TEST(code_of({errc::not_found, errc::timeout}) == 5);
    BOOST_TEST(code_of({errc::decode, errc::timeout}) == 5);
    BOOST_TEST(code_of({errc::timeout, errc::forbidden}) == 3);
    BOOST_TEST(code_of({errc::forbidden, errc::certificate, errc::timeout}) == 6);
    BOOST_TEST(code_of({errc::unauthorized}, 0) == 3);
    BOOST_TEST(code_of({errc::certificate, errc::cancelled}) == 130);

    cli::exit_status s;
    s.add_success();
    s.add_failure(errc::not_found);
    s.add_failure(errc::cancelled);  // an interruption is not a failed id
    BOOST_TEST(s.succeeded() == 1u);
    BOOST_TEST(s.failed() == 1u);
}

BOOST_AUTO_TEST_CASE(id_files)
{
    std::istringstream in("inst_1\n\n  inst_2  \r\n# a comment\n   # indented comment\ninst_3 # web tier\ninst#4\n\t\n");
    std::vector<std::string> ids;
    cli::read_ids(in, ids);
    BOOST_TEST(ids == (std::vector<std::string>{"inst_1", "inst_2", "inst_3", "inst#4"}), boost::test_tools::per_element());

    auto u = cli::unique_ids({"b", "a", "b", "c", "a", std::string(40, 'x'), std::string(40, 'x')});
    BOOST_TEST(u == (std::vector<std::string>{"b", "a", "c", std::string(40, 'x')}), boost::test_tools::per_element());

    BOOST_TEST(contains(
        message_of(
            []
            {
                std::vector<std::string> v;
                cli::read_ids_from("/nonexistent/ids.txt", v);
            }
        ),
        "cannot open '/nonexistent/ids.txt'"
    ));
}

BOOST_AUTO_TEST_CASE(the_key_leaves_argv)
{
    std::vector<std::string> args = {
        "beeos",
        "get",
        "--api-key",
        std::string(secret),
        "x",
        "--api-key=" + std::string(secret),
        "--api-key-file",
        "keyfile",
        "--",
        "--api-key",
        "kept"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    cli::scrub_secret_args(static_cast<int>(argv.size()), argv.data());
    BOOST_TEST(std::string(argv[3]) == "*");
    BOOST_TEST(args[3].find_first_not_of(std::string_view("*\0", 2)) == std::string::npos);  // every byte overwritten
    BOOST_TEST(std::string(argv[5]) == "--api-key=*");
    BOOST_TEST(std::string(argv[7]) == "keyfile");  // not a key
    BOOST_TEST(std::string(argv[10]) == "kept");    // after "--" nothing is an option
    BOOST_TEST(args[3].size() == secret.size());    // the buffer itself, not a copy, was changed
}

BOOST_AUTO_TEST_CASE(configuration_from_environment_and_flags)
{
    std::map<std::string, std::string> env = {
        {"BEEOS_API_KEY", std::string(secret)},
        {"BEEOS_API_URL", "https://env.example"},
        {"BEEOS_CA_FILE", "/env/ca.pem"},
    };
    auto s = cli::resolve_connection(parse_connection({}), env_of(env), true);
    BOOST_TEST(s.client.token == secret);
    BOOST_TEST(s.client.base_url == "https://env.example");
    BOOST_TEST(s.client.ca_file == "/env/ca.pem");
    BOOST_TEST(!s.verbose);

    temp_file key("  oag_from_file  \nsecond line\n");
    s = cli::resolve_connection(
        parse_connection(
            {"--url",
             "https://flag.example",
             "--ca-file",
             "/flag/ca.pem",
             "--api-key-file",
             key.path,
             "--connections",
             "7",
             "--rate",
             "50",
             "--burst",
             "5",
             "--timeout",
             "2s",
             "-v"}
        ),
        env_of(env),
        true
    );
    BOOST_TEST(s.client.token == "oag_from_file");
    BOOST_TEST(s.client.base_url == "https://flag.example");
    BOOST_TEST(s.client.ca_file == "/flag/ca.pem");
    BOOST_TEST(s.client.max_connections == 7u);
    BOOST_TEST(s.client.rate_limit.requests_per_second == 50.0);
    BOOST_TEST(s.client.rate_limit.burst == 5u);
    BOOST_TEST(s.client.retry.total_timeout.count() == 2000);
    BOOST_TEST(s.client.request_timeout.count() == 2000);  // one attempt never outlives its call
    BOOST_TEST(s.verbose);

    s = cli::resolve_connection(parse_connection({"--api-key", "oag_flag_key"}), env_of(env), true);
    BOOST_TEST(s.client.token == "oag_flag_key");

    // Without the variables: the public API and no key.
    std::map<std::string, std::string> none;
    s = cli::resolve_connection(parse_connection({}), env_of(none), true);
    BOOST_TEST(s.client.base_url == "https://openapi.beeos.ai");
    BOOST_TEST(s.client.token.empty());

    // wait gives --timeout its own meaning: the calls keep their default.
    s = cli::resolve_connection(parse_connection({}, false), env_of(env), false);
    BOOST_TEST(s.client.retry.total_timeout.count() == 30000);
}

BOOST_AUTO_TEST_CASE(configuration_errors_never_show_the_key)
{
    std::map<std::string, std::string> env;
    temp_file key(std::string(secret) + "\n");
    temp_file blank("   \n" + std::string(secret) + "\n");
    std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--api-key", std::string(secret), "--api-key-file", key.path}, "cannot be used together"},
        {{"--api-key-file", "/nonexistent/key"}, "cannot open '/nonexistent/key'"},
        {{"--api-key-file", blank.path}, "holds no key on its first line"},
        {{"--connections", "0"}, "--connections: must be 1 to 1024"},
        {{"--rate", "-5"}, "--rate: must be a number of requests per second, at least 0.000001"},
        // So small that the library's limit would vanish (found by review).
        {{"--rate", "1e-10"}, "--rate: must be a number of requests per second, at least 0.000001"},
        {{"--burst", "5"}, "--burst needs --rate"},
        {{"--timeout", "30"}, "--timeout: invalid duration '30'"},
    };
    for (const auto& [args, expected] : cases)
    {
        std::string m = message_of([&] { cli::resolve_connection(parse_connection(args), env_of(env), true); });
        BOOST_TEST(contains(m, expected), m);
        BOOST_TEST(!contains(m, secret));
    }
}

BOOST_AUTO_TEST_CASE(environment_help_says_set_or_unset_only)
{
    std::map<std::string, std::string> env = {{"BEEOS_API_KEY", std::string(secret)}, {"BEEOS_API_URL", "https://env.example"}};
    std::string h = cli::environment_help(env_of(env));
    BOOST_TEST(!contains(h, secret));
    BOOST_TEST(!contains(h, "env.example"));
    BOOST_TEST(contains(h, "BEEOS_API_KEY"));
    BOOST_TEST(contains(h, "(set)"));
    BOOST_TEST(contains(h, "(unset)"));  // BEEOS_CA_FILE
}

BOOST_AUTO_TEST_CASE(attempt_lines)
{
    beeos::attempt_event e;
    e.id = "inst_1";
    e.attempt = 2;
    e.result = beeos::errc::server_error;
    e.http_status = 503;
    e.api_code = "auth_transient";
    e.latency = 1500us;
    e.next_delay = 180ms;
    BOOST_TEST(
        cli::format_attempt(e) == "beeos: attempt 2 of \"inst_1\": server error, HTTP 503, code \"auth_transient\", 1.5 ms; retry in 180 ms"
    );
    e = {};
    e.id = "inst_\x1b[2J";
    e.latency = 250us;
    BOOST_TEST(cli::format_attempt(e) == "beeos: attempt 1 of \"inst_?[2J\": ok, no HTTP status, 0.2 ms");
}

BOOST_AUTO_TEST_CASE(watch_event_lines)
{
    const beeos::timestamp at = *beeos::parse_timestamp("2026-05-14T18:02:11Z");
    beeos::watch_event e;
    e.type = beeos::watch_event::kind::changed;
    e.id = "inst_1";
    beeos::instance before = sample_instance();
    before.status = beeos::instance_status::provisioning;
    e.full = sample_instance();
    e.previous = beeos::instance_snapshot::from(before);
    e.current = beeos::instance_snapshot::from(e.full);
    e.changed = beeos::diff(*e.previous, e.current);
    BOOST_TEST(
        cli::format_event_text(e, cli::parse_fields("status"), at) ==
        "2026-05-14T18:02:11.000000Z  inst_1  changed  status: provisioning -> running\n"
    );
    json::value v = json::parse(cli::format_event_json(e, cli::parse_fields("id,status"), at));
    BOOST_TEST(v.at("event") == "changed");
    BOOST_TEST(v.at("time") == "2026-05-14T18:02:11.000000Z");
    BOOST_TEST(v.at("changed") == json::parse(R"({"status":{"from":"provisioning","to":"running"}})"));
    BOOST_TEST(v.at("instance") == json::parse(R"({"id":"inst_1","status":"running"})"));

    e.type = beeos::watch_event::kind::initial;
    e.previous.reset();
    e.changed = {};
    BOOST_TEST(
        cli::format_event_text(e, cli::parse_fields("status,connectivity"), at) ==
        "2026-05-14T18:02:11.000000Z  inst_1  initial  status=running connectivity=online\n"
    );
    BOOST_TEST(!json::parse(cli::format_event_json(e, cli::parse_fields("id"), at)).as_object().contains("changed"));

    e.type = beeos::watch_event::kind::error;
    e.full = {};
    e.ec = beeos::errc::not_found;
    e.error.id = "inst_1";
    e.error.http_status = 404;
    e.error.api_code = "instance_not_found";
    std::string text = cli::format_event_text(e, cli::parse_fields("status"), at);
    BOOST_TEST(text == "2026-05-14T18:02:11.000000Z  inst_1  error  " + beeos::format_error(e.ec, e.error) + "\n");
    v = json::parse(cli::format_event_json(e, cli::parse_fields("status"), at));
    BOOST_TEST(v.at("error").at("code") == "not_found");
    BOOST_TEST(v.at("error").at("httpStatus") == 404);
    BOOST_TEST(std::string_view(v.at("error").at("message").as_string()) == beeos::format_error(e.ec, e.error));
    BOOST_TEST(!v.as_object().contains("instance"));
    BOOST_TEST(cli::error_name(beeos::wait_errc::deadline_passed) == "deadline_passed");
}

BOOST_AUTO_TEST_CASE(console_redacts_and_orders)
{
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    {
        cli::console con(fileno(out), fileno(err));
        con.add_secret(secret);
        con.add_secret("abc");  // too short to hide without garbling words
        con.out("row 1\n");
        con.err_line("failure with " + std::string(secret) + " inside, abc");
        con.show_status("not a terminal: nothing drawn");
    }
    BOOST_TEST(slurp(out) == "row 1\n");
    BOOST_TEST(slurp(err) == "failure with *** inside, abc\n");
    std::fclose(out);
    std::fclose(err);
}

BOOST_AUTO_TEST_CASE(help_everywhere_and_never_the_key)
{
    std::map<std::string, std::string> env = {{"BEEOS_API_KEY", std::string(secret)}};
    std::vector<std::vector<std::string>> asks = {
        {"--help"},
        {"-h"},
        {"help"},
        {"help", "get"},
        {"get", "--help"},
        {"list", "-h"},
        {"help", "watch"},
        {"wait", "--help"},
        {"get", "--help", "--api-key", std::string(secret)}};
    for (const auto& ask : asks)
    {
        captured c = run_cli(ask, env);
        BOOST_TEST(c.code == 0);
        BOOST_TEST(c.err.empty(), c.err);
        BOOST_TEST(contains(c.out, "usage: beeos"));
        BOOST_TEST(contains(c.out, "Exit status:"));
        BOOST_TEST(contains(c.out, "BEEOS_API_KEY"));
        BOOST_TEST(contains(c.out, "(set)"));
        BOOST_TEST(contains(c.out, "--api-key-file"));
        BOOST_TEST(!contains(c.out, secret));
    }
    BOOST_TEST(contains(run_cli({"get", "--help"}).out, "--ids-from"));
    BOOST_TEST(contains(run_cli({"list", "--help"}).out, "--page-size"));
    BOOST_TEST(contains(run_cli({"watch", "--help"}).out, "--until"));
    BOOST_TEST(contains(run_cli({"wait", "--help"}).out, "give up after D, exit 5"));
    captured v = run_cli({"--version"});
    BOOST_TEST(v.code == 0);
    BOOST_TEST(v.out == "beeos " BEEOS_VERSION_STRING "\n");
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_with_one_line_and_a_hint)
{
    std::map<std::string, std::string> env = {{"BEEOS_API_KEY", std::string(secret)}};
    std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{}, "no command given"},
        {{"frobnicate"}, "unknown command 'frobnicate'"},
        {{"help", "frobnicate"}, "unknown command 'frobnicate'"},
        {{"get"}, "no instance ids given"},
        {{"get", "x", "--fields", "id,bogus"}, "unknown field 'bogus' (valid: id,ownerId,"},
        {{"get", "x", "--bogus"}, "unrecognised option '--bogus'"},
        {{"get", "x", "--verb"}, "unrecognised option '--verb'"},  // no guessing of prefixes
        {{"get", "x", "--json", "--table"}, "cannot be used together"},
        {{"get", "x", "--timeout", "5"}, "--timeout: invalid duration '5'"},
        {{"get", "x", "--connections", "many"}, "--connections"},
        {{"get", "--ids-from", "/nonexistent/ids"}, "cannot open '/nonexistent/ids'"},
        {{"list", "x"}, "list takes no ids"},
        {{"list", "--page-size", "500"}, "--page-size: must be 1 to 200"},
        {{"wait", "x"}, "--until COND is required"},
        {{"wait", "x", "y", "--until", "running-online"}, "exactly one instance id"},
        {{"wait", "x", "--until", "running"}, "unknown condition 'running'"},
        {{"watch", "x", "--interval", "soon"}, "--interval: invalid duration 'soon'"},
        {{"get", "x", "--url", "ftp://nope"}, "base_url"},  // the client's own validation
        {{"get", "x", "--api-key", std::string(secret), "--api-key-file", "/k"}, "cannot be used together"},
    };
    for (const auto& [args, expected] : cases)
    {
        captured c = run_cli(args, env);
        BOOST_TEST(c.code == 2, expected);
        BOOST_TEST(c.out.empty());
        BOOST_TEST(contains(c.err, expected), c.err);
        BOOST_TEST(contains(c.err, "for usage."), c.err);
        BOOST_TEST(!contains(c.err, secret));
    }
}

BOOST_AUTO_TEST_CASE(options_before_the_command)
{
    // The scan for the command word skips options and their values.
    captured c = run_cli({"--fields", "id", "--timeout", "1s", "get", "--help"});
    BOOST_TEST(c.code == 0);
    BOOST_TEST(contains(c.out, "usage: beeos get"));
    c = run_cli({"--url", "https://x.example", "list", "extra"});
    BOOST_TEST(c.code == 2);
    BOOST_TEST(contains(c.err, "list takes no ids"), c.err);
}

// Found by review: rows that could not be written (a full disk) were dropped and the run
// exited 0.
BOOST_AUTO_TEST_CASE(output_that_cannot_be_written_fails_the_run)
{
    int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    BOOST_REQUIRE(full >= 0);
    std::FILE* err = std::tmpfile();
    BOOST_REQUIRE(err);
    std::vector<std::string> args = {"beeos", "--version"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int code = 0;
    {
        cli::console con(full, fileno(err));
        code = cli::run(2, argv.data(), [](const char*) -> const char* { return nullptr; }, con);
        BOOST_TEST(con.output_failed());
    }
    BOOST_TEST(code == int(cli::exit_failed));
    const std::string e = slurp(err);
    BOOST_TEST(contains(e, "cannot write to standard output: No space left on device"), e);
    std::fclose(err);
    ::close(full);
}

// Found by review: every row erased the progress bar, also rows going to a file, so the bar
// was never seen. Only rows for the terminal erase it.
BOOST_AUTO_TEST_CASE(rows_to_a_file_leave_the_progress_bar_on_the_terminal)
{
    int master = -1, slave = -1;
    BOOST_REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
    std::FILE* out = std::tmpfile();
    BOOST_REQUIRE(out);
    {
        cli::console con(fileno(out), slave);
        BOOST_REQUIRE(con.stderr_is_tty());
        BOOST_REQUIRE(!con.stdout_is_tty());
        con.show_status("12/100");
        con.out("inst_1\n");
        con.out("inst_2\n");
        con.flush();
        con.show_status("14/100");
    }  // the destructor erases the bar once, at the end
    ::close(slave);
    std::string screen;
    char buf[256];
    for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;)
        screen.append(buf, static_cast<std::size_t>(n));
    ::close(master);
    BOOST_TEST(screen == "\r12/100\x1b[K\r14/100\x1b[K\r\x1b[K");
    BOOST_TEST(slurp(out) == "inst_1\ninst_2\n");
    std::fclose(out);
}

// Found by review: usage slips that sent requests or said the wrong thing.
BOOST_AUTO_TEST_CASE(usage_slips_are_usage_errors_and_send_nothing)
{
    // An empty id (an unset shell variable) is a usage error, not an id that fails.
    auto r = run_cli({"get", "inst_1", ""}, {{"BEEOS_API_KEY", std::string(secret)}});
    BOOST_TEST(r.code == int(cli::exit_usage));
    BOOST_TEST(contains(r.err, "instance id 2 is empty"), r.err);
    r = run_cli({"watch", ""}, {{"BEEOS_API_KEY", std::string(secret)}});
    BOOST_TEST(r.code == int(cli::exit_usage));
    r = run_cli({"wait", "", "--until", "running-online"}, {{"BEEOS_API_KEY", std::string(secret)}});
    BOOST_TEST(r.code == int(cli::exit_usage));
    BOOST_TEST(contains(r.err, "the instance id is empty"), r.err);
    // An empty or misspelt filter would list everything, or nothing, and exit 0.
    r = run_cli({"list", "--status", ""}, {{"BEEOS_API_KEY", std::string(secret)}});
    BOOST_TEST(r.code == int(cli::exit_usage));
    BOOST_TEST(contains(r.err, "--status: empty"), r.err);
    r = run_cli({"list", "--search="}, {{"BEEOS_API_KEY", std::string(secret)}});
    BOOST_TEST(r.code == int(cli::exit_usage));
    r = run_cli({"list", "--status", "runing"}, {{"BEEOS_API_KEY", std::string(secret)}});
    BOOST_TEST(r.code == int(cli::exit_usage));
    BOOST_TEST(contains(r.err, "unknown status 'runing' (one of: pending, provisioning, running, stopped, terminated)"), r.err);
    // `help` names the right problem.
    r = run_cli({"help", "get", "list"});
    BOOST_TEST(r.code == int(cli::exit_usage));
    BOOST_TEST(contains(r.err, "one command at a time"), r.err);
    BOOST_TEST(!contains(r.err, "unknown command"), r.err);
    // `--` before the command ends the tool's options, not the command's.
    r = run_cli({"--", "get", "--help"});
    BOOST_TEST(r.code == int(cli::exit_ok));
    BOOST_TEST(contains(r.out, "usage: beeos get"), r.out);
}

BOOST_AUTO_TEST_CASE(a_byte_order_mark_is_not_part_of_the_first_id)
{
    std::istringstream in("\xEF\xBB\xBFinst_1\r\ninst_2\r\n");
    std::vector<std::string> ids;
    cli::read_ids(in, ids);
    BOOST_TEST(ids == (std::vector<std::string>{"inst_1", "inst_2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
