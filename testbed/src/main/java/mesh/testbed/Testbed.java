package mesh.testbed;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Cognitive Mesh local service testbed: Neo4j (embedded via neo4j-harness), a single-node
 * Kafka broker in KRaft mode, and a MongoDB wire-protocol emulator (mongo-java-server, H2
 * backend), all in one JVM and all bound to 127.0.0.1 only.
 *
 * <p>Every start begins from empty data (the data dir is wiped). Prints "TESTBED READY" once
 * all three accept connections, writes its PID to the pid file, and stops all three on
 * SIGTERM / SIGINT (JVM shutdown hook).
 *
 * <p>Environment (all optional):
 * <pre>
 *   TESTBED_NEO4J_PORT             Bolt port                  (default 7687)
 *   TESTBED_KAFKA_PORT             Kafka client port          (default 9092)
 *   TESTBED_KAFKA_CONTROLLER_PORT  KRaft controller port      (default 9093)
 *   TESTBED_MONGO_PORT             MongoDB wire port          (default 27017)
 *   TESTBED_MONGO_VERSION          version reported to Mongo clients (default 4.4.0)
 *   TESTBED_MONGO_WIRE_VERSION     maxWireVersion reported    (default 9; mongodb driver 7 needs >= 9)
 *   TESTBED_DATA_DIR               data root                  (default target/testbed-data)
 *   TESTBED_PID_FILE               pid file                   (default target/testbed.pid)
 * </pre>
 */
public final class Testbed {

    private static final String HOST = "127.0.0.1";

    private final int neo4jPort = intEnv("TESTBED_NEO4J_PORT", 7687);
    private final int kafkaPort = intEnv("TESTBED_KAFKA_PORT", 9092);
    private final int kafkaControllerPort = intEnv("TESTBED_KAFKA_CONTROLLER_PORT", 9093);
    private final int mongoPort = intEnv("TESTBED_MONGO_PORT", 27017);
    private final Path dataDir = Paths.get(env("TESTBED_DATA_DIR", "target/testbed-data")).toAbsolutePath();
    private final Path pidFile = Paths.get(env("TESTBED_PID_FILE", "target/testbed.pid")).toAbsolutePath();

    private volatile Neo4j neo4j;
    private volatile KafkaRaftServer kafka;
    private volatile MongoServer mongo;
    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) throws Exception {
        Testbed testbed = new Testbed();
        Runtime.getRuntime().addShutdownHook(new Thread(testbed::shutdown, "testbed-shutdown"));
        try {
            testbed.start();
        } catch (Throwable t) {
            log("FAILED to start: " + t);
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
        testbed.stopped.await();
    }

    private void start() throws Exception {
        Instant t0 = Instant.now();
        for (int port : List.of(neo4jPort, kafkaPort, kafkaControllerPort, mongoPort)) {
            if (portAnswers(port)) {
                throw new IllegalStateException("port " + HOST + ":" + port + " is already in use");
            }
        }
        deleteRecursively(dataDir);
        Files.createDirectories(dataDir);
        Files.createDirectories(pidFile.getParent());
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");

        startMongo();
        log("mongo-java-server (H2 backend) listening on " + HOST + ":" + mongoPort + " in " + since(t0));

        Instant t1 = Instant.now();
        startKafka();
        log("Kafka (KRaft) listening on " + HOST + ":" + kafkaPort + " (controller " + kafkaControllerPort + ") in " + since(t1));

        Instant t2 = Instant.now();
        startNeo4j();
        log("Neo4j listening on " + neo4j.boltURI() + " (auth disabled) in " + since(t2));

        for (int port : List.of(neo4jPort, kafkaPort, mongoPort)) {
            if (!portAnswers(port)) {
                throw new IllegalStateException("port " + HOST + ":" + port + " does not accept connections");
            }
        }
        log("all services up in " + since(t0) + ", pid " + ProcessHandle.current().pid());
        System.out.println("TESTBED READY");
        System.out.flush();
    }

    // ---------------------------------------------------------------- MongoDB (emulator)

    private void startMongo() {
        List<Integer> versionArray = parseVersion(env("TESTBED_MONGO_VERSION", "4.4.0"));
        int wireVersion = intEnv("TESTBED_MONGO_WIRE_VERSION", 9);
        MongoVersion version = new MongoVersion() {
            @Override
            public List<Integer> getVersionArray() {
                return versionArray;
            }

            @Override
            public int getWireVersion() {
                return wireVersion;
            }
        };
        H2Backend backend = H2Backend.inMemory();
        backend.version(version);
        MongoServer server = new MongoServer(backend);
        server.enableOplog(); // lets change streams ($changeStream) work
        server.bind(HOST, mongoPort);
        mongo = server;
    }

    // ---------------------------------------------------------------- Kafka (KRaft, combined mode)

    private void startKafka() throws Exception {
        Path logDir = dataDir.resolve("kafka");
        Files.createDirectories(logDir);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + kafkaControllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + kafkaPort + ",CONTROLLER://" + HOST + ":" + kafkaControllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + kafkaPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("auto.create.topics.enable", "true");
        p.put("num.partitions", "3");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "3");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "3");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.put("log.retention.hours", "24");

        Path propsFile = dataDir.resolve("kafka-server.properties");
        try (OutputStream out = Files.newOutputStream(propsFile)) {
            p.store(out, "generated by mesh.testbed.Testbed");
        }

        // Equivalent of: kafka-storage.sh format -t <random id> -c kafka-server.properties
        ByteArrayOutputStream formatOut = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(formatOut, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {
                "format", "-t", Uuid.randomUuid().toString(), "-c", propsFile.toString()
            }, ps);
        }
        if (rc != 0) {
            throw new IllegalStateException("kafka storage format failed (" + rc + "): " + formatOut.toString(StandardCharsets.UTF_8));
        }

        KafkaConfig config = KafkaConfig.fromProps(p, false);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        kafka = server;
        server.startup();

        // The listener being open is not enough: wait until the broker answers metadata requests.
        Map<String, Object> adminConf = Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + kafkaPort,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        try (Admin admin = Admin.create(adminConf)) {
            int brokers = admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size();
            if (brokers < 1) {
                throw new IllegalStateException("kafka reports no live brokers");
            }
        }
    }

    // ---------------------------------------------------------------- Neo4j (harness)

    private void startNeo4j() {
        Path neoDir = dataDir.resolve("neo4j");
        neo4j = Neo4jBuilders.newInProcessBuilder(neoDir)
            .withDisabledServer() // no HTTP/Browser; Bolt only
            .withConfig(GraphDatabaseSettings.auth_enabled, false)
            .withConfig(GraphDatabaseSettings.udc_enabled, false)
            .withConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(128))
            .withConfig(BoltConnector.enabled, true)
            .withConfig(BoltConnector.listen_address, new SocketAddress(HOST, neo4jPort))
            .withConfig(BoltConnector.advertised_address, new SocketAddress(HOST, neo4jPort))
            .withConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
            .withConfig(HttpConnector.enabled, false)
            // Bolt's netty loops otherwise idle 5 s twice on shutdown
            .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
            .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5))
            .build();
    }

    // ---------------------------------------------------------------- shutdown

    private synchronized void shutdown() {
        if (stopped.getCount() == 0) {
            return;
        }
        log("shutting down");
        if (neo4j != null) {
            try {
                neo4j.close();
                log("Neo4j stopped");
            } catch (Throwable t) {
                log("Neo4j stop failed: " + t);
            }
        }
        if (kafka != null) {
            try {
                kafka.shutdown();
                kafka.awaitShutdown();
                log("Kafka stopped");
            } catch (Throwable t) {
                log("Kafka stop failed: " + t);
            }
        }
        if (mongo != null) {
            try {
                mongo.shutdownNow();
                log("mongo-java-server stopped");
            } catch (Throwable t) {
                log("mongo-java-server stop failed: " + t);
            }
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException ignored) {
            // best effort
        }
        log("TESTBED STOPPED");
        stopped.countDown();
    }

    // ---------------------------------------------------------------- helpers

    private static boolean portAnswers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Integer> parseVersion(String v) {
        String[] parts = v.split("\\.");
        Integer[] out = new Integer[] {0, 0, 0};
        for (int i = 0; i < Math.min(3, parts.length); i++) {
            out[i] = Integer.parseInt(parts[i].trim());
        }
        return List.of(out);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : v.trim();
    }

    private static int intEnv(String name, int def) {
        return Integer.parseInt(env(name, String.valueOf(def)));
    }

    private static String since(Instant start) {
        return Duration.between(start, Instant.now()).toMillis() + " ms";
    }

    private static void log(String msg) {
        System.out.println("[testbed " + Instant.now() + "] " + msg);
        System.out.flush();
    }
}
