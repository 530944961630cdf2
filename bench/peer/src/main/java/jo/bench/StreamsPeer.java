package jo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams peer of the engine benchmark: the engine's per-event Kafka work for a one-action journey, done
 * the way a Kafka Streams developer would (exactly_once_v2, RocksDB, one repartition topic).
 *
 * <p>Per event: parse the ~1 KB keyless JSON event, re-key it by its identity (`person.id`) through a repartition
 * topic, get + put the profile's journey instance in a RocksDB store (change-logged), write one command and
 * PEER_STEP_RECORDS step records. With 1 step record that is 4 records written per event (repartition, changelog,
 * command, step record), plus transaction markers; more step records match the engine's configurations that write
 * more.
 *
 * <p>Environment: PEER_BROKERS, PEER_APP_ID, PEER_INPUT, PEER_COMMANDS, PEER_STEPS (topics), PEER_STATE_DIR,
 * PEER_STEP_RECORDS (default 1), PEER_THREADS (default 1), PEER_COMMIT_MS (default 100, Kafka Streams' EOS
 * default). Prints "PEER RUNNING" once every thread runs.
 */
public final class StreamsPeer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? dflt : v;
  }

  public static void main(String[] args) throws Exception {
    String input = env("PEER_INPUT", "jo.events");
    String commands = env("PEER_COMMANDS", "peer.commands");
    String steps = env("PEER_STEPS", "peer.step-events");
    int stepRecords = Integer.parseInt(env("PEER_STEP_RECORDS", "1"));

    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore("instances"), Serdes.String(), Serdes.ByteArray()));
    KStream<String, JsonNode> byProfile =
        builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
            .mapValues((byte[] v) -> parse(v))
            .filter((k, v) -> v != null)
            .selectKey((k, v) -> "crmId:" + v.path("person").path("id").asText())
            .repartition(
                Repartitioned.<String, JsonNode>as("by-profile")
                    .withKeySerde(Serdes.String())
                    .withValueSerde(Serdes.serdeFrom(StreamsPeer::toBytes, (t, b) -> parse(b))));
    KStream<String, ObjectNode> outputs =
        byProfile.processValues(() -> new Journey(stepRecords), "instances");
    outputs
        .filter((k, v) -> "command".equals(v.path("kind").asText()))
        .mapValues((ObjectNode v) -> toBytes(v))
        .to(commands, Produced.with(Serdes.String(), Serdes.ByteArray()));
    outputs
        .filter((k, v) -> "step".equals(v.path("kind").asText()))
        .mapValues((ObjectNode v) -> toBytes(v))
        .to(steps, Produced.with(Serdes.String(), Serdes.ByteArray()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props());
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) System.out.println("PEER RUNNING");
          if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) stopped.countDown();
        });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close();
                  stopped.countDown();
                }));
    streams.start();
    stopped.await();
  }

  private static Properties props() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, env("PEER_APP_ID", "jo-peer"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env("PEER_BROKERS", "127.0.0.1:9092"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(env("PEER_THREADS", "1")));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Integer.parseInt(env("PEER_COMMIT_MS", "100")));
    p.put(StreamsConfig.STATE_DIR_CONFIG, env("PEER_STATE_DIR", "/tmp/jo-peer"));
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    // the harness counts records written by consuming every topic: consumed repartition records stay (the engine
    // does not purge either)
    p.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, Long.MAX_VALUE);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }

  private static JsonNode parse(byte[] bytes) {
    try {
      return bytes == null ? null : JSON.readTree(bytes);
    } catch (Exception e) {
      return null;
    }
  }

  private static byte[] toBytes(String topic, JsonNode v) {
    return toBytes(v);
  }

  private static byte[] toBytes(JsonNode v) {
    try {
      return JSON.writeValueAsBytes(v);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The one-action journey: enter, emit the command, end; one instance record per profile. */
  static final class Journey implements FixedKeyProcessor<String, JsonNode, ObjectNode> {
    private final int stepRecords;
    private FixedKeyProcessorContext<String, ObjectNode> ctx;
    private KeyValueStore<String, byte[]> instances;

    Journey(int stepRecords) {
      this.stepRecords = stepRecords;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, ObjectNode> context) {
      ctx = context;
      instances = context.getStateStore("instances");
    }

    @Override
    public void process(FixedKeyRecord<String, JsonNode> record) {
      String profileKey = record.key();
      JsonNode event = record.value();
      byte[] before = instances.get(profileKey);
      JsonNode previous = before == null ? null : parse(before);
      int entries = previous == null ? 0 : previous.path("entries").asInt(0);
      String instanceId = id(profileKey + "/bench/" + event.path("_id").asText());
      String now = Instant.now().toString();

      ObjectNode instance = JSON.createObjectNode();
      instance.put("journeyId", "bench").put("journeyVersion", 1).put("instanceId", instanceId);
      instance.put("profileKey", profileKey).put("currentNode", "done").put("status", "ended");
      instance.put("entries", entries + 1).put("enteredAt", now).put("endedAt", now);
      instance.set("event", event);
      instances.put(profileKey, toBytes(instance));

      ObjectNode command = JSON.createObjectNode();
      command.put("kind", "command").put("commandId", id(instanceId + "/first/1"));
      command.put("journeyId", "bench").put("journeyVersion", 1).put("instanceId", instanceId);
      command.put("nodeId", "first").put("profileKey", profileKey).put("action", "hook");
      ObjectNode request = command.putObject("request");
      request.put("url", "http://127.0.0.1:9/hook").put("method", "POST");
      request.putObject("headers").put("content-type", "application/json");
      ObjectNode body = JSON.createObjectNode();
      body.set("sentAt", event.path("sentAt"));
      body.put("journey", "bench");
      request.put("body", body.toString());
      command.put("createdAt", now).put("deadline", now);
      ctx.forward(record.withValue(command));

      for (int i = 0; i < stepRecords; i++) {
        ObjectNode step = JSON.createObjectNode();
        step.put("kind", "step").put("journeyId", "bench").put("journeyVersion", 1);
        step.put("instanceId", instanceId).put("profileKey", profileKey);
        step.putObject("cause").put("type", "event").put("id", event.path("_id").asText());
        ArrayNode list = step.putArray("steps");
        list.addObject().put("nodeId", "first").put("nodeType", "action").put("status", "entered").put("timestamp", now);
        list.addObject().put("nodeId", "done").put("nodeType", "end").put("status", "ended").put("timestamp", now);
        ctx.forward(record.withValue(step));
      }
    }

    private static String id(String s) {
      try {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d, 0, 16);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
