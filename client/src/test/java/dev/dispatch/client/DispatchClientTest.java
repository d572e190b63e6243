package dev.dispatch.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class DispatchClientTest {
    @Test
    void parsesProblemDocumentsWithFieldViolations() {
        DispatchProblemException p = DispatchClient.problem(400, """
                {"type":"https://dispatch.dev/problems/validation","title":"Invalid request","status":400,
                 "detail":"1 invalid field(s)","errors":[{"field":"targets.hosts[0]","message":"no host named 'x'"}]}
                """);
        assertThat(p.status()).isEqualTo(400);
        assertThat(p.slug()).isEqualTo("validation");
        assertThat(p.errors())
                .containsExactly(new DispatchProblemException.FieldViolation("targets.hosts[0]", "no host named 'x'"));
    }

    @Test
    void keepsANonProblemBodyAsDetail() {
        DispatchProblemException p = DispatchClient.problem(502, "Bad Gateway\n");
        assertThat(p.status()).isEqualTo(502);
        assertThat(p.type()).isNull();
        assertThat(p.detail()).isEqualTo("Bad Gateway");
    }

    @Test
    void readsEventsSkippingCommentsAndJoiningDataLines() throws Exception {
        SseReader sse = new SseReader(
                new BufferedReader(
                        new StringReader(
                                ": keep-alive\n\nevent: output\nid: h/1/0\ndata: {\"a\":\ndata: 1}\n\nevent: job-finished\nid: job-finished\ndata: {}\n\n")));
        assertThat(sse.next()).isEqualTo(new SseReader.Event("output", "h/1/0", "{\"a\":\n1}"));
        assertThat(sse.next()).isEqualTo(new SseReader.Event("job-finished", "job-finished", "{}"));
        assertThat(sse.next()).isNull();
    }
}
