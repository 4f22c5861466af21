// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The `beeos` command-line tool end to end: the built binary (its path comes from CMake as
// BEEOS_CLI_PATH) run as a child process against the gateway simulator started in-process,
// so faults and lifecycles can be scripted. Every subcommand, JSON compared with what the
// simulator serves, --fields, the exit code of each class of failure, the key kept out of
// every output and out of the process list, no progress bar without a terminal, and a real
// terminal (tmux) for the bar.
#include "dto_properties.hpp"
#include "gateway_fixture.hpp"

#include <beeos/timestamp.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef BEEOS_CLI_PATH
#error "BEEOS_CLI_PATH must name the built beeos binary"
#endif

extern char** environ;

namespace beeos::sim::detail
{
extern const std::string_view instance_body_json;
}

namespace asio = boost::asio;
namespace json = boost::json;
namespace sim = beeos::sim;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;
using beeos::test::secret_token;
using clock_type = std::chrono::steady_clock;

namespace
{

// Bounds for a hung child only; a healthy run takes a fraction of this even under TSan.
constexpr auto hang_bound = 120s;

bool contains(std::string_view s, std::string_view part)
{
    return s.find(part) != std::string_view::npos;
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

using env_map = std::map<std::string, std::string>;

// The child's environment is built, not inherited, so the developer's own BEEOS_* variables
// never leak into a test; only what the sanitizer runtimes need is passed through.
std::vector<std::string> child_environment(const env_map& extra)
{
    std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
    for (char** e = environ; *e; ++e)
    {
        std::string_view v = *e;
        for (std::string_view keep : {"TSAN_OPTIONS=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS="})
            if (v.starts_with(keep))
                env.emplace_back(v);
    }
    for (const auto& [k, v] : extra)
        env.push_back(k + "=" + v);
    return env;
}

/// A running `beeos` with pipes on stdin, stdout and stderr.
class child
{
public:
    child(const std::vector<std::string>& args, const env_map& env, std::string input = {}) : input_(std::move(input))
    {
        int in[2], out[2], err[2];
        BOOST_REQUIRE(::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0 && ::pipe2(err, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        // The test ignores SIGPIPE (it writes to pipes of children that may be gone); the
        // tool must start with the default action, as under a shell.
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t defaults;
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGTERM);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

        std::vector<std::string> argv_s = {BEEOS_CLI_PATH};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> env_s = child_environment(env);
        std::vector<char*> envp;
        for (auto& e : env_s)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        int rc = ::posix_spawn(&pid_, BEEOS_CLI_PATH, &fa, &attr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        ::close(in[0]);
        ::close(out[1]);
        ::close(err[1]);
        BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " BEEOS_CLI_PATH ": " << std::strerror(rc));
        in_ = in[1];
        out_ = out[0];
        err_ = err[0];
        if (input_.empty())
            close_fd(in_);
        else
            ::fcntl(in_, F_SETFL, O_NONBLOCK);
    }

    ~child()
    {
        if (pid_ > 0 && !exited_)
        {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        close_fd(in_);
        close_fd(out_);
        close_fd(err_);
    }

    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const noexcept { return pid_; }
    const std::string& out() const noexcept { return out_text_; }
    const std::string& err() const noexcept { return err_text_; }

    /// Moves data until `pred()` holds, both outputs are closed, or `limit` passes; returns
    /// pred().
    template <class Pred>
    bool pump_until(Pred pred, clock_type::duration limit)
    {
        auto deadline = clock_type::now() + limit;
        while (!pred())
        {
            auto now = clock_type::now();
            if (now >= deadline || (out_ < 0 && err_ < 0))
                return pred();
            pollfd fds[3];
            int n = 0;
            for (int fd : {out_, err_})
                if (fd >= 0)
                    fds[n++] = {fd, POLLIN, 0};
            if (in_ >= 0)
                fds[n++] = {in_, POLLOUT, 0};
            auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
            int ready = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(wait_ms, 100)));
            if (ready < 0 && errno != EINTR)
                return pred();
            for (int i = 0; i < n; ++i)
            {
                if (!fds[i].revents)
                    continue;
                if (fds[i].fd == in_)
                {
                    ssize_t w = ::write(in_, input_.data() + written_, input_.size() - written_);
                    if (w > 0)
                        written_ += static_cast<std::size_t>(w);
                    if (w < 0 || written_ == input_.size())
                        close_fd(in_);
                    continue;
                }
                char buf[65536];
                ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
                bool is_out = fds[i].fd == out_;
                if (r > 0)
                    (is_out ? out_text_ : err_text_).append(buf, static_cast<std::size_t>(r));
                else if (r == 0 || errno != EINTR)
                    close_fd(is_out ? out_ : err_);
            }
        }
        return true;
    }

    /// Reads everything and waits for the exit: the exit status (128 + N for signal N), or
    /// std::nullopt when the child hung past `limit` (it is killed).
    std::optional<int> wait(clock_type::duration limit = hang_bound)
    {
        bool closed = pump_until([] { return false; }, limit);
        (void)closed;
        if (out_ >= 0 || err_ >= 0)
            return std::nullopt;  // still open at the deadline: hung
        int status = 0;
        auto deadline = clock_type::now() + 10s;
        for (;;)
        {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_)
                break;
            if (clock_type::now() > deadline)
                return std::nullopt;
            std::this_thread::sleep_for(5ms);
        }
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    bool running()
    {
        if (exited_)
            return false;
        int status = 0;
        return ::waitpid(pid_, &status, WNOHANG) == 0 ? true : (exited_ = true, exit_status_ = status, false);
    }

private:
    static void close_fd(int& fd)
    {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }

    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::string input_;
    std::size_t written_ = 0;
    std::string out_text_, err_text_;
    bool exited_ = false;
    int exit_status_ = 0;
};

struct result
{
    int code = -1;
    std::string out;
    std::string err;
};

result run(const std::vector<std::string>& args, const env_map& env, std::string input = {})
{
    child c(args, env, std::move(input));
    std::optional<int> code = c.wait();
    BOOST_REQUIRE_MESSAGE(code.has_value(), "beeos hung: " << c.err());
    return {*code, c.out(), c.err()};
}

/// Writes `content` to a fresh file, removed at the end.
struct temp_file
{
    explicit temp_file(std::string_view content)
    {
        char name[] = "/tmp/beeos-cli-test-XXXXXX";
        int fd = ::mkstemp(name);
        BOOST_REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path, std::ios::binary) << content;
    }
    ~temp_file() { std::remove(path.c_str()); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    std::string path;
};

// The properties of InstanceDataDTO, as the tool must print them (in any order here).
const std::set<std::string> dto_properties(beeos::test::dto_properties.begin(), beeos::test::dto_properties.end());

bool is_time_key(std::string_view k)
{
    return k.ends_with("At");
}

// The tool's JSON for one instance against the `data` the simulator served: every property,
// date-times equal as instants (the tool prints six fraction digits, the fixture fewer).
void check_same_instance(const json::object& printed, const json::object& served)
{
    std::set<std::string> keys;
    for (const auto& kv : printed)
        keys.emplace(kv.key());
    BOOST_TEST(keys == dto_properties, boost::test_tools::per_element());
    for (const auto& kv : served)
    {
        const json::value* got = printed.if_contains(kv.key());
        BOOST_REQUIRE_MESSAGE(got, "missing key " << kv.key());
        if (is_time_key(kv.key()) && kv.value().is_string())
        {
            BOOST_REQUIRE_MESSAGE(got->is_string(), kv.key());
            BOOST_TEST((beeos::parse_timestamp(got->get_string()) == beeos::parse_timestamp(kv.value().get_string())), kv.key());
            BOOST_TEST(got->get_string().size() == 27u, kv.key() << ": RFC 3339 with microseconds");
        }
        else
            BOOST_TEST(*got == kv.value(), kv.key() << ": " << json::serialize(*got) << " vs " << json::serialize(kv.value()));
    }
}

json::object fixture_data(const std::string& id)
{
    json::object data = json::parse(sim::detail::instance_body_json).at("data").as_object();
    data["id"] = id;
    data["name"] = "sim-" + id;
    return data;
}

std::vector<json::object> parse_lines(const std::string& out)
{
    std::vector<json::object> objs;
    for (const std::string& line : lines_of(out))
    {
        json::value v = json::parse(line);  // throws, failing the test, on anything but JSON
        BOOST_REQUIRE(v.is_object());
        objs.push_back(v.as_object());
    }
    return objs;
}

std::string without_request_ids(std::string s)
{
    static const std::regex rid(R"(req_[0-9a-f]+)");
    return std::regex_replace(s, rid, "req_*");
}

// The one line beeos::error::what() gives for `id` from an in-process client.
std::string library_error_line(gateway_fixture& f, const std::string& id)
{
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    std::string what;
    beeos::test::run_test_coroutine(
        io,
        [](beeos::client& c, std::string id, std::string& what) -> asio::awaitable<void>
        {
            try
            {
                beeos::instance inst = co_await c.get_instance(id);
                (void)inst;
            }
            catch (const beeos::error& e)
            {
                what = e.what();
            }
        }(c, id, what)
    );
    BOOST_REQUIRE(!what.empty());
    return what;
}

/// The simulator plus the environment that points the tool at it.
struct cli_fixture
{
    cli_fixture() : f() {}
    explicit cli_fixture(sim::config cfg) : f(std::move(cfg)) {}

    env_map env() const
    {
        return {
            {"BEEOS_API_URL", f.gw.url()}, {"BEEOS_CA_FILE", beeos::test::shared_ca_file()}, {"BEEOS_API_KEY", std::string(secret_token)}};
    }

    gateway_fixture f;
};

void check_no_token(const result& r)
{
    BOOST_TEST(!contains(r.out, secret_token), "the key leaked into stdout");
    BOOST_TEST(!contains(r.err, secret_token), "the key leaked into stderr");
}

sim::instance_state state(std::string status, std::string connectivity, std::string desired = "running")
{
    sim::instance_state s;
    s.status = std::move(status);
    s.connectivity = std::move(connectivity);
    s.desired_status = std::move(desired);
    return s;
}

std::optional<std::string> find_program(std::string_view name)
{
    for (std::string_view dir : {"/usr/bin", "/bin", "/usr/local/bin"})
    {
        std::string p = std::string(dir) + "/" + std::string(name);
        if (::access(p.c_str(), X_OK) == 0)
            return p;
    }
    return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(get_json_is_what_the_simulator_serves)
{
    ::signal(SIGPIPE, SIG_IGN);
    cli_fixture t;
    // An instance of our own, with a status this version does not know and no capabilities.
    json::object rich = fixture_data("inst_rich");
    rich["status"] = "hibernating";
    rich["msConnectionStatus"] = "teleporting";
    rich.erase("capabilities");
    rich["models"] = json::array{"m1"};
    rich["totalRunSeconds"] = 42;
    t.f.gw.set_instance("inst_rich", json::serialize(rich));

    result r = run({"get", "inst_1", "inst_rich", "inst_7", "--json"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.err.empty(), r.err);
    check_no_token(r);
    std::map<std::string, json::object> by_id;
    for (json::object& o : parse_lines(r.out))
        by_id[std::string(o.at("id").as_string())] = std::move(o);
    BOOST_REQUIRE(by_id.size() == 3u);
    check_same_instance(by_id["inst_1"], fixture_data("inst_1"));
    check_same_instance(by_id["inst_7"], fixture_data("inst_7"));
    check_same_instance(by_id["inst_rich"], rich);
    BOOST_TEST(by_id["inst_rich"].at("status") == "hibernating");
    BOOST_TEST(by_id["inst_rich"].at("msConnectionStatus") == "teleporting");
    BOOST_TEST(by_id["inst_rich"].at("capabilities").is_null());

    // jq, the consumer the output is made for, reads it too.
    if (find_program("jq"))
    {
        temp_file lines(r.out);
        std::string cmd = "jq -r .id " + lines.path + " | sort | tr '\\n' ' '";
        std::FILE* p = ::popen(cmd.c_str(), "r");
        BOOST_REQUIRE(p);
        char buf[256] = {};
        std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
        BOOST_TEST(::pclose(p) == 0);
        BOOST_TEST(std::string(buf, n) == "inst_1 inst_7 inst_rich ");
    }
}

BOOST_AUTO_TEST_CASE(get_json_prints_each_instance_as_it_arrives)
{
    cli_fixture t;
    t.f.gw.add_fault("inst_slow", {.delay = 8s, .times = -1});
    t.f.gw.set_state("inst_slow", state("running", "online"));
    child c({"get", "inst_slow", "inst_1", "inst_2", "--json"}, t.env());
    // The fast ones are out while the slow one is still being served.
    bool early = c.pump_until([&] { return lines_of(c.out()).size() >= 2; }, hang_bound);
    BOOST_TEST(early, c.err());
    BOOST_TEST(!contains(c.out(), "inst_slow"), "the fast instances were held back until the slow one came");
    BOOST_TEST(c.running(), "the tool ended before the slow instance came");
    std::optional<int> code = c.wait();
    BOOST_REQUIRE(code.has_value());
    BOOST_TEST(*code == 0);
    auto objs = parse_lines(c.out());
    BOOST_REQUIRE(objs.size() == 3u);
    BOOST_TEST(objs.back().at("id") == "inst_slow");
}

BOOST_AUTO_TEST_CASE(get_table_keeps_input_order_and_fields)
{
    cli_fixture t;
    // inst_5 answers last, yet comes first: rows follow the input, not completion.
    t.f.gw.add_fault("inst_5", {.delay = 1500ms, .times = -1});
    result r = run({"get", "inst_5", "inst_1", "nope", "inst_3", "inst_1", "--table", "--fields", "id,status,region"}, t.env());
    BOOST_TEST(r.code == 4, r.err);  // every failure was not_found
    auto lines = lines_of(r.out);
    BOOST_REQUIRE(lines.size() == 4u);  // header, 3 rows: inst_1 given twice is printed once
    BOOST_TEST(std::regex_match(lines[0], std::regex(R"(id\s+status\s+region)")), lines[0]);
    BOOST_TEST(std::regex_match(lines[1], std::regex(R"(inst_5\s+running\s+us-east-1)")), lines[1]);
    BOOST_TEST(std::regex_match(lines[2], std::regex(R"(inst_1\s+running\s+us-east-1)")), lines[2]);
    BOOST_TEST(std::regex_match(lines[3], std::regex(R"(inst_3\s+running\s+us-east-1)")), lines[3]);
    // Aligned: every column starts at the same offset.
    BOOST_TEST(lines[0].find("status") == lines[1].find("running"));
    BOOST_TEST(lines[0].find("region") == lines[3].find("us-east-1"));
    BOOST_TEST(without_request_ids(r.err) == without_request_ids(library_error_line(t.f, "nope") + "\n"));

    // Not a terminal and no --table: tab-separated, no header.
    r = run({"get", "inst_2", "inst_1", "--fields", "status,id"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out == "running\tinst_2\nrunning\tinst_1\n");

    // --fields in JSON: exactly those keys, in that order.
    r = run({"get", "inst_2", "--json", "--fields", "publicIp,id,startedAt"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out == "{\"publicIp\":\"54.210.17.88\",\"id\":\"inst_2\",\"startedAt\":\"2026-05-14T18:02:11.482913Z\"}\n");

    r = run({"get", "inst_2", "--fields", "id,uptime"}, t.env());
    BOOST_TEST(r.code == 2);
    BOOST_TEST(contains(r.err, "unknown field 'uptime' (valid: id,ownerId,agentFramework"), r.err);
    BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(ids_from_a_file_and_stdin)
{
    cli_fixture t;
    temp_file ids("# fleet A\ninst_4\n\n  inst_2  \r\ninst_4   # again\ninst_9\n");
    result r = run({"get", "inst_1", "--ids-from", ids.path, "--fields", "id"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out == "inst_1\ninst_4\ninst_2\ninst_9\n");

    r = run({"get", "--ids-from", "-", "--json", "--fields", "id"}, t.env(), "inst_3\n# c\ninst_8\n");
    BOOST_TEST(r.code == 0, r.err);
    std::set<std::string> got;
    for (auto& o : parse_lines(r.out))
        got.emplace(o.at("id").as_string());
    BOOST_TEST(got == (std::set<std::string>{"inst_3", "inst_8"}), boost::test_tools::per_element());
    BOOST_TEST(t.f.gw.requests_for("inst_4") == 1u);  // each id once
}

BOOST_AUTO_TEST_CASE(exit_codes_by_class)
{
    cli_fixture t;
    auto env = t.env();

    BOOST_TEST(run({"get", "inst_1", "inst_2"}, env).code == 0);

    // Partial failure: one 400 among successes.
    t.f.gw.add_fault("inst_3", {.status = 400, .times = -1});
    result r = run({"get", "inst_1", "inst_3", "inst_2"}, env);
    BOOST_TEST(r.code == 1, r.err);
    BOOST_TEST(lines_of(r.out).size() == 2u);
    BOOST_TEST(without_request_ids(r.err) == without_request_ids(library_error_line(t.f, "inst_3") + "\n"));

    // Auth: a wrong key, and a resource the key may not see.
    auto wrong = env;
    wrong["BEEOS_API_KEY"] = "oag_wrong_key_123456";
    r = run({"get", "inst_1"}, wrong);
    BOOST_TEST(r.code == 3, r.err);
    BOOST_TEST(contains(r.err, "unauthorized"), r.err);
    BOOST_TEST(!contains(r.err, "oag_wrong_key_123456"));
    BOOST_TEST(run({"get", "inst_1", "inst_forbidden_1"}, env).code == 3);
    BOOST_TEST(run({"get", "inst_forbidden_1", "nope"}, env).code == 3);  // auth wins over not found

    // Not found: every failure was.
    r = run({"get", "nope_1", "nope_2", "inst_1"}, env);
    BOOST_TEST(r.code == 4, r.err);
    BOOST_TEST(lines_of(r.err).size() == 2u);
    BOOST_TEST(run({"get", "nope_1", "inst_3"}, env).code == 1);  // not found mixed with another class

    // Usage.
    BOOST_TEST(run({"get"}, env).code == 2);
    BOOST_TEST(run({"get", "inst_1", "--timeout", "soon"}, env).code == 2);
    BOOST_TEST(run({"get", "inst_1", "--ca-file", "/nonexistent/ca.pem"}, env).code == 2);
}

BOOST_AUTO_TEST_CASE(exit_code_for_a_timeout_and_a_closed_port)
{
    cli_fixture t;
    t.f.gw.add_fault("inst_1", {.delay = 5s, .times = -1});
    auto start = clock_type::now();
    result r = run({"get", "inst_1", "--timeout", "300ms"}, t.env());
    BOOST_TEST(r.code == 5, r.err);
    BOOST_TEST(contains(r.err, "beeos: get_instance(\"inst_1\"): timed out"), r.err);
    BOOST_TEST((clock_type::now() - start < 4s), "--timeout bounds the call, not the server's delay");

    // A port nobody listens on: connection refused on every attempt.
    unsigned short port = 0;
    {
        asio::io_context io;
        asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    auto env = t.env();
    env["BEEOS_API_URL"] = "https://127.0.0.1:" + std::to_string(port);
    r = run({"get", "inst_1", "inst_2"}, env);
    BOOST_TEST(r.code == 5, r.err);
    BOOST_TEST(lines_of(r.err).size() == 2u, r.err);
    BOOST_TEST(contains(r.err, "connection"), r.err);
}

BOOST_AUTO_TEST_CASE(exit_code_for_an_untrusted_certificate)
{
    cli_fixture t;
    // A CA that did not sign the simulator's certificate.
    temp_file other_ca(sim::make_test_pki().ca_cert_pem);
    result r = run({"get", "inst_1", "--ca-file", other_ca.path}, t.env());
    BOOST_TEST(r.code == 6, r.err);
    BOOST_TEST(contains(r.err, "certificate"), r.err);
    check_no_token(r);
}

BOOST_AUTO_TEST_CASE(verbose_attempts_and_no_progress_bar_off_a_terminal)
{
    cli_fixture t;
    t.f.gw.add_fault("inst_2", {.status = 503, .times = 1});
    result r =
        run({"get", "inst_1", "inst_2", "--verbose", "--api-key", std::string(secret_token)},
            {{"BEEOS_API_URL", t.f.gw.url()}, {"BEEOS_CA_FILE", beeos::test::shared_ca_file()}});
    BOOST_TEST(r.code == 0, r.err);
    check_no_token(r);
    std::vector<std::string> attempts;
    for (const auto& line : lines_of(r.err))
        if (line.starts_with("beeos: attempt "))
            attempts.push_back(line);
    BOOST_TEST(attempts.size() == t.f.gw.get_stats().requests, r.err);  // one line per request
    BOOST_TEST(attempts.size() == 3u, r.err);
    bool retried = false;
    for (const auto& a : attempts)
        retried |= std::regex_search(
            a, std::regex(R"(^beeos: attempt 1 of "inst_2": server error, HTTP 503, code "[a-z_]+", [0-9.]+ ms; retry in [0-9]+ ms$)")
        );
    BOOST_TEST(retried, r.err);
    BOOST_TEST(std::regex_search(r.err, std::regex(R"(beeos: attempt 1 of "inst_1": ok, HTTP 200, [0-9.]+ ms)")), r.err);
    // stderr is a pipe: no bar, no carriage returns, no escape sequences.
    BOOST_TEST(!contains(r.err, "\r"));
    BOOST_TEST(!contains(r.err, "\x1b"));
    BOOST_TEST(!contains(r.err, "ETA"));

    // 300 ids for at least 1.5 s (10 ms each over 2 connections), long enough for many
    // redraws, none of them drawn as progress either.
    t.f.gw.add_fault("", {.delay = 10ms, .times = -1});
    temp_file ids(
        []
        {
            std::string s;
            for (int i = 0; i < 300; ++i)
                s += "inst_" + std::to_string(i) + "\n";
            return s;
        }()
    );
    r = run({"get", "--ids-from", ids.path, "--json", "--fields", "id", "--connections", "2"}, t.env());
    BOOST_TEST(r.code == 0);
    BOOST_TEST(lines_of(r.out).size() == 300u);
    BOOST_TEST(r.err.empty(), r.err);
}

BOOST_AUTO_TEST_CASE(the_key_leaves_the_process_list)
{
    cli_fixture t;
    auto env = t.env();
    env.erase("BEEOS_API_KEY");
    child c({"watch", "inst_1", "--interval", "300ms", "--api-key", std::string(secret_token)}, env);
    // Its first event proves the tool is past start-up, where it scrubs its argv.
    BOOST_REQUIRE_MESSAGE(c.pump_until([&] { return contains(c.out(), "initial"); }, hang_bound), c.err());
    std::ifstream proc("/proc/" + std::to_string(c.pid()) + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(proc)), std::istreambuf_iterator<char>());
    BOOST_TEST(contains(cmdline, "--api-key"));
    BOOST_TEST(!contains(cmdline, secret_token), "the key is still in /proc/PID/cmdline");
    BOOST_TEST(!contains(cmdline, secret_token.substr(0, 8)));
    // SIGTERM ends a watch as an interruption.
    ::kill(c.pid(), SIGTERM);
    std::optional<int> code = c.wait();
    BOOST_REQUIRE(code.has_value());
    BOOST_TEST(*code == 130);
    BOOST_TEST(!contains(c.out() + c.err(), secret_token));
}

BOOST_AUTO_TEST_CASE(list_pages_filters_and_limit)
{
    cli_fixture t;
    result r = run({"list", "--page-size", "7", "--limit", "20", "--json", "--fields", "id,status"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    auto objs = parse_lines(r.out);
    BOOST_REQUIRE(objs.size() == 20u);
    for (std::size_t i = 0; i < objs.size(); ++i)
        BOOST_TEST(std::string_view(objs[i].at("id").as_string()) == "inst_" + std::to_string(i));
    BOOST_TEST(t.f.gw.list_requests() == 3u);  // 7 + 7 + 6: no page beyond the limit

    t.f.gw.reset_stats();
    r = run({"list", "--limit", "3", "--table", "--fields", "id,name"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    auto lines = lines_of(r.out);
    BOOST_REQUIRE(lines.size() == 4u);
    BOOST_TEST(std::regex_match(lines[0], std::regex(R"(id\s+name)")));
    BOOST_TEST(std::regex_match(lines[3], std::regex(R"(inst_2\s+sim-inst_2)")));
    BOOST_TEST(t.f.gw.list_requests() == 1u);

    // A filter the server applies: nothing matches, nothing printed, success.
    r = run({"list", "--status", "stopped", "--cluster", "cluster_use1_a"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out.empty());
    t.f.gw.set_instance_count(30);
    r = run({"list", "--cluster", "cluster_use1_a", "--fields", "id"}, t.env());
    BOOST_TEST(lines_of(r.out).size() == 30u);

    // The full JSON of a listed instance is what the simulator serves for it.
    r = run({"list", "--limit", "1", "--json"}, t.env());
    auto one = parse_lines(r.out);
    BOOST_REQUIRE(one.size() == 1u);
    check_same_instance(one[0], fixture_data("inst_0"));

    auto wrong = t.env();
    wrong["BEEOS_API_KEY"] = "oag_wrong_key_123456";
    r = run({"list"}, wrong);
    BOOST_TEST(r.code == 3, r.err);
    BOOST_TEST(lines_of(r.err).size() == 1u, r.err);
}

BOOST_AUTO_TEST_CASE(watch_until_every_id_is_running_and_online)
{
    cli_fixture t;
    t.f.gw.set_lifecycle("inst_w1", {{0ms, state("provisioning", "offline")}, {1500ms, state("running", "online")}});
    t.f.gw.set_lifecycle("inst_w2", {{0ms, state("running", "online")}});
    result r = run(
        {"watch", "inst_w1", "inst_w2", "--interval", "300ms", "--until", "running-online", "--json", "--fields", "id,status,connectivity"},
        t.env()
    );
    BOOST_TEST(r.code == 0, r.err);
    auto events = parse_lines(r.out);
    bool initial_w1 = false, initial_w2 = false, changed_w1 = false;
    for (const auto& e : events)
    {
        BOOST_TEST(beeos::parse_timestamp(e.at("time").as_string()).has_value());
        if (e.at("event") == "initial" && e.at("id") == "inst_w1")
            initial_w1 = e.at("instance").at("status") == "provisioning";
        if (e.at("event") == "initial" && e.at("id") == "inst_w2")
            initial_w2 = e.at("instance") == json::parse(R"({"id":"inst_w2","status":"running","connectivity":"online"})");
        if (e.at("event") == "changed" && e.at("id") == "inst_w1" && e.at("changed").as_object().contains("status"))
            changed_w1 = e.at("changed").at("status") == json::parse(R"({"from":"provisioning","to":"running"})");
    }
    BOOST_TEST(initial_w1, r.out);
    BOOST_TEST(initial_w2, r.out);
    BOOST_TEST(changed_w1, r.out);

    // The text form: one line per event.
    t.f.gw.set_lifecycle("inst_w3", {{0ms, state("running", "online")}});
    r = run({"watch", "inst_w3", "--interval", "300ms", "--until", "status=running"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(
        std::regex_match(
            r.out,
            std::regex(
                R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z  inst_w3  initial  status=running desiredStatus=running connectivity=online\n)"
            )
        ),
        r.out
    );
}

BOOST_AUTO_TEST_CASE(watch_ends_on_what_cannot_get_better)
{
    cli_fixture t;
    t.f.gw.set_lifecycle("inst_t", {{0ms, state("terminated", "offline", "terminated")}});
    result r = run({"watch", "inst_t", "inst_1", "--interval", "300ms", "--until", "running-online"}, t.env());
    BOOST_TEST(r.code == 1, r.err);
    BOOST_TEST(contains(r.err, "condition can never hold"), r.err);

    r = run({"watch", "nope", "--interval", "300ms", "--until", "running-online"}, t.env());
    BOOST_TEST(r.code == 4, r.err);
    BOOST_TEST(contains(r.out, "  nope  error  beeos: get_instance(\"nope\"): not found"), r.out);

    auto wrong = t.env();
    wrong["BEEOS_API_KEY"] = "oag_wrong_key_123456";
    r = run({"watch", "inst_1", "--interval", "300ms"}, wrong);  // no --until: auth ends it anyway
    BOOST_TEST(r.code == 3, r.err);

    // --for: the end of a watch without a condition is success, with one unmet it is not.
    r = run({"watch", "inst_1", "--interval", "300ms", "--for", "1s"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(contains(r.out, "inst_1  initial"), r.out);
    t.f.gw.set_lifecycle("inst_p", {{0ms, state("provisioning", "offline")}});
    r = run({"watch", "inst_p", "--interval", "300ms", "--for", "1s", "--until", "running-online"}, t.env());
    BOOST_TEST(r.code == 5, r.err);
    BOOST_TEST(contains(r.err, "1 of 1 ids do not satisfy \"running and online\" after 1s"), r.err);
}

BOOST_AUTO_TEST_CASE(wait_for_a_state)
{
    cli_fixture t;
    t.f.gw.set_lifecycle("inst_x", {{0ms, state("provisioning", "offline")}, {1s, state("running", "online")}});
    result r =
        run({"wait", "inst_x", "--until", "running-online", "--timeout", "60s", "--json", "--fields", "id,status,connectivity"}, t.env());
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out == "{\"id\":\"inst_x\",\"status\":\"running\",\"connectivity\":\"online\"}\n");

    // The deadline passes: transient class.
    r = run({"wait", "inst_1", "--until", "status=stopped", "--timeout", "1500ms"}, t.env());
    BOOST_TEST(r.code == 5, r.err);
    BOOST_TEST(contains(r.err, "beeos: wait_until(\"inst_1\"): "), r.err);
    BOOST_TEST(r.out.empty());

    // Can never hold: at once.
    t.f.gw.set_lifecycle("inst_t", {{0ms, state("terminated", "offline", "terminated")}});
    auto start = clock_type::now();
    r = run({"wait", "inst_t", "--until", "running-online", "--timeout", "5m"}, t.env());
    BOOST_TEST(r.code == 1, r.err);
    BOOST_TEST(contains(r.err, "condition can never hold"), r.err);
    BOOST_TEST((clock_type::now() - start < 60s));

    BOOST_TEST(run({"wait", "nope", "--until", "running-online"}, t.env()).code == 4);
    auto wrong = t.env();
    wrong["BEEOS_API_KEY"] = "oag_wrong_key_123456";
    BOOST_TEST(run({"wait", "inst_1", "--until", "running-online"}, wrong).code == 3);
}

// A real terminal: tmux runs the tool in a 120x30 pane and the test reads the screen.
BOOST_AUTO_TEST_CASE(progress_bar_on_a_terminal)
{
    std::optional<std::string> tmux = find_program("tmux");
    BOOST_REQUIRE_MESSAGE(tmux, "tmux is needed for this test (tools/install-deps.sh installs it)");
    cli_fixture t;
    // 300 ids at 20 ms each over 2 connections: at least 3 s of progress, however fast the host.
    t.f.gw.add_fault("", {.delay = 20ms, .times = -1});
    std::string ids_text;
    for (int i = 0; i < 300; ++i)
        ids_text += "inst_" + std::to_string(i) + "\n";
    ids_text += "nope\n";
    temp_file ids(ids_text);
    temp_file key(std::string(secret_token) + "\n");
    temp_file out("");
    temp_file socket("");
    std::remove(socket.path.c_str());

    struct tmux_server
    {
        std::string tmux, socket;
        ~tmux_server()
        {
            std::string cmd = tmux + " -S " + socket + " kill-server 2>/dev/null";
            int rc = std::system(cmd.c_str());
            (void)rc;
        }
    } server{*tmux, socket.path};

    auto capture = [&]
    {
        std::string cmd = *tmux + " -S " + socket.path + " capture-pane -p -t beeos 2>/dev/null";
        std::FILE* p = ::popen(cmd.c_str(), "r");
        std::string screen;
        if (!p)
            return screen;
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
            screen.append(buf, n);
        ::pclose(p);
        return screen;
    };
    std::string pass_env;
    for (const std::string& e : child_environment({}))
        if (!e.starts_with("PATH=") && !e.starts_with("LC_ALL="))
            pass_env += "'" + e + "' ";
    auto start_session = [&](const std::string& redirect)
    {
        std::string inner = "env " + pass_env + BEEOS_CLI_PATH " get --ids-from " + ids.path + " --api-key-file " + key.path + " --url " +
                            t.f.gw.url() + " --ca-file " + beeos::test::shared_ca_file() + " --connections 2 " + redirect +
                            "; echo EXIT=\\$?; sleep 600";
        std::string cmd = *tmux + " -S " + socket.path + " new-session -d -x 120 -y 30 -s beeos \"" + inner + "\"";
        BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
    };
    const std::regex bar(R"(\[=*>? *\] \d+/301  \d+%  (\d+|-)/s  errors \d+  ETA (\d+:\d\d|--:--))");
    auto wait_for = [&](auto pred)
    {
        auto deadline = clock_type::now() + hang_bound;
        std::string screen;
        while (clock_type::now() < deadline)
        {
            screen = capture();
            if (pred(screen))
                return std::optional<std::string>(screen);
            std::this_thread::sleep_for(50ms);
        }
        BOOST_TEST_MESSAGE("last screen:\n" << screen);
        return std::optional<std::string>();
    };
    auto has_exit = [](const std::string& s) { return contains(s, "EXIT="); };

    // 1. JSON to a file, the bar alone on the terminal.
    start_session("--json --fields id > " + out.path);
    auto drawn = wait_for([&](const std::string& s) { return std::regex_search(s, bar) || has_exit(s); });
    BOOST_REQUIRE(drawn);
    BOOST_TEST(std::regex_search(*drawn, bar), "no progress bar on the terminal:\n" << *drawn);
    auto final_screen = wait_for(has_exit);
    BOOST_REQUIRE(final_screen);
    BOOST_TEST(contains(*final_screen, "EXIT=4"), *final_screen);  // 300 ok, 1 not found
    for (std::string_view fragment : {"ETA", "/301", "errors ", "[=", "/s "})
        BOOST_TEST(!contains(*final_screen, fragment), "leftover '" << fragment << "' on:\n" << *final_screen);
    std::ifstream json_out(out.path);
    std::string written((std::istreambuf_iterator<char>(json_out)), std::istreambuf_iterator<char>());
    BOOST_TEST(lines_of(written).size() == 300u);
    {
        std::string cmd = *tmux + " -S " + socket.path + " kill-session -t beeos";
        BOOST_TEST(std::system(cmd.c_str()) == 0);
    }

    // 2. The table on the same terminal as the bar: rows and bar never mix.
    start_session("--fields id,status");
    final_screen = wait_for(has_exit);
    BOOST_REQUIRE(final_screen);
    BOOST_TEST(contains(*final_screen, "EXIT=4"), *final_screen);
    const std::regex row(R"((id\s+status|inst_\d+\s+running|EXIT=4))");
    bool in_error = false;  // the not-found line may wrap onto the next screen line
    for (const std::string& line : lines_of(*final_screen))
    {
        if (line.starts_with("beeos: get_instance(\"nope\"): not found"))
            in_error = true;
        else if (line.starts_with("EXIT="))
            in_error = false;
        if (!line.empty() && !in_error)
            BOOST_TEST(std::regex_match(line, row), "a line that is neither a row nor the exit: '" << line << "'");
    }
    for (std::string_view fragment : {"ETA", "/301", "errors ", "[="})
        BOOST_TEST(!contains(*final_screen, fragment), "leftover '" << fragment << "' on:\n" << *final_screen);
    BOOST_TEST(contains(*final_screen, "inst_299  running"), *final_screen);
}

BOOST_AUTO_TEST_SUITE_END()
