"""The committed ZmsNotificationSmoke class with a plugin notifier (stack `plugin`,
`notifier: plugin`), against a local SMTP server.

The plugin is OURS: a jar javac builds here against Athenz 1.12.14, shaped like the first
article's (mlajkim/athenz-amazon-ses-notification-plugin, AwsSesPlugin.java): the factory class
the plan names (`com.mlajkim.athenz.AwsSesPlugin`), a package-private service that reads
AWS_SES_USER and AWS_SES_PASS from the environment, and its SMTP host, port, From address and
recipient domain as compile-time constants, sending with Jakarta Mail (STARTTLS enabled, SMTP
AUTH). One substitution, and it is the point of the test: the article's jar hard-codes
email-smtp.ap-northeast-1.amazonaws.com:587; ours hard-codes 127.0.0.1 and the port of the
local server (compiled per run), and the From address and recipient domain of the stack (the
article's are its author's own mailbox and @gmail.com: README, The plugin and what it ignores).

The SMTP server is aiosmtpd, allowing AUTH PLAIN/LOGIN without TLS for this test (Amazon SES
requires STARTTLS first; Jakarta Mail starts TLS when the server offers it, and this one does
not). ZMS's properties and the credentials come from the plan's DeploymentPatch and Secret.
"""

from __future__ import annotations

import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import NOT_SENT, SENT, ZmsSetup, free_port, run_sender

PLUGIN_FACTORY = "com.mlajkim.athenz.AwsSesPlugin"

PLUGIN_SOURCE = r"""
package com.mlajkim.athenz;

import com.yahoo.athenz.auth.PrivateKeyStore;
import com.yahoo.athenz.common.server.notification.*;

import jakarta.mail.*;
import jakarta.mail.internet.*;
import java.util.*;

// A test stand-in shaped like the first article's AwsSesPlugin; the constants are the test's.
public class AwsSesPlugin implements NotificationServiceFactory {
    @Override
    public NotificationService create(PrivateKeyStore privateKeyStore) {
        return new SesService();
    }
}

class SesService implements NotificationService {
    private static final String SMTP_USER = System.getenv("AWS_SES_USER");
    private static final String SMTP_PASS = System.getenv("AWS_SES_PASS");
    private static final String SMTP_HOST = "@HOST@";
    private static final int SMTP_PORT = @PORT@;
    private static final String SENDER = "@SENDER@";
    private static final String RECIPIENT_DOMAIN = "@DOMAIN@";

    @Override
    public boolean notify(Notification notification) {
        if (SMTP_USER == null || SMTP_PASS == null) {
            return false;
        }
        Properties props = new Properties();
        props.put("mail.smtp.host", SMTP_HOST);
        props.put("mail.transport.protocol", "smtp");
        props.put("mail.smtp.port", SMTP_PORT);
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.auth", "true");
        Session session = Session.getInstance(props, new jakarta.mail.Authenticator() {
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(SMTP_USER, SMTP_PASS);
            }
        });
        Set<String> recipients = notification.getRecipients();
        if (recipients == null || recipients.isEmpty()) {
            return false;
        }
        boolean sent = false;
        for (String recipient : recipients) {
            String target = (recipient.startsWith("user.") ? recipient.substring(5) : recipient) + RECIPIENT_DOMAIN;
            try {
                MimeMessage msg = new MimeMessage(session);
                msg.setFrom(new InternetAddress(SENDER, "Athenz Admin"));
                msg.setRecipient(Message.RecipientType.TO, new InternetAddress(target));
                msg.setSubject("Athenz Notification");
                msg.setText("This is an automated notification from Athenz.", "UTF-8");
                Transport.send(msg);
                sent = true;
            } catch (Exception e) {
                System.out.println(">>> [AWS-SES] SKIP: Failed to send to " + target + " (" + e.getMessage() + ")");
            }
        }
        return sent;
    }
}
"""


@dataclass
class Smtp:
    """aiosmtpd on 127.0.0.1, accepting AUTH only with `user`/`password`."""

    user: str
    password: str
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)


@pytest.fixture
def smtp(plugin_setup: ZmsSetup):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    state = Smtp(plugin_setup.env["AWS_SES_USER"], plugin_setup.env["AWS_SES_PASS"])

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (login, password) == (state.user, state.password)
        state.logins.append((mechanism, login, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            state.messages.append(
                {
                    "login": session.auth_data.login.decode() if session.authenticated else None,
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "content": envelope.content.decode(errors="replace"),
                }
            )
            return "250 OK"

    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # this test's server offers no TLS (see the module docstring)
    )
    controller.start()
    state.port = port  # type: ignore[attr-defined]
    try:
        yield state
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def plugin_setup(stack_setups) -> ZmsSetup:
    setup = stack_setups["plugin"]
    assert setup.credentials == "smtp"
    assert f"-Dathenz.zms.notification_service_factory_class={PLUGIN_FACTORY}" in setup.env["JDK_JAVA_OPTIONS"]
    return setup


def recipient_domain(setup: ZmsSetup) -> str:
    """The domain of the stack's users: its sandbox recipients' (the stack sets no emailDomainTo)."""
    import json

    (domain,) = {address.split("@", 1)[1] for address in json.loads(setup.config["athenz-ses:recipientEmails"])}
    return domain


def build_plugin(tmp: Path, classpath: str, setup: ZmsSetup, port: int) -> Path:
    source = (
        PLUGIN_SOURCE.replace("@HOST@", "127.0.0.1")
        .replace("@PORT@", str(port))
        .replace("@SENDER@", setup.sender)
        .replace("@DOMAIN@", "@" + recipient_domain(setup))
    )
    src = tmp / "src" / "com" / "mlajkim" / "athenz" / "AwsSesPlugin.java"
    src.parent.mkdir(parents=True)
    src.write_text(source)
    classes = tmp / "classes"
    subprocess.run(
        ["javac", "-nowarn", "--release", "11", "-cp", classpath, "-d", str(classes), str(src)],
        check=True,
        capture_output=True,
    )
    jar = tmp / "ses-plugin.jar"  # the name the patch mounts it under, in USER_CLASSPATH's folder
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for path in sorted(classes.rglob("*.class")):
            archive.write(path, path.relative_to(classes).as_posix())
    return jar


def run_with_plugin(setup, smtp, tmp_path, java, classpath, zms_conf, env=None):
    jar = build_plugin(tmp_path, classpath, setup, smtp.port)
    # $CLASSPATH (Athenz's jars) then $USER_CLASSPATH (/usr/lib/jars/*, where the jar is mounted)
    return run_sender(java, f"{classpath}:{jar}", env or setup.env, "user.alice", conf=zms_conf, home=tmp_path)


def test_the_plugin_logs_in_with_the_plans_smtp_credentials_and_sends(
    plugin_setup, smtp, tmp_path, java, classpath, zms_conf
):
    run = run_with_plugin(plugin_setup, smtp, tmp_path, java, classpath, zms_conf)
    assert run.code == SENT, run.stdout + run.stderr[-3000:]
    assert run.lines("factory") == [f"{PLUGIN_FACTORY} (service com.mlajkim.athenz.SesService)"]
    assert run.lines("notify") == ["com.mlajkim.athenz.SesService true"]
    assert run.lines("recipient") == ["user.alice"]
    assert run.lines("from") == [plugin_setup.sender]  # what the properties give; the plugin sends from its own
    # The plan's Secret: the IAM user's access key id and its SMTP password, as the patch hands them over.
    secret = plugin_setup.secret_data
    (data,) = secret.values()
    assert (plugin_setup.env["AWS_SES_USER"], plugin_setup.env["AWS_SES_PASS"]) == (data["username"], data["password"])
    assert [(login, ok) for _, login, ok in smtp.logins] == [(data["username"], True)]
    (message,) = smtp.messages
    assert message["login"] == data["username"]
    assert message["mail_from"] == plugin_setup.sender
    assert message["rcpt_tos"] == ["alice@" + recipient_domain(plugin_setup)]
    assert f"From: Athenz Admin <{plugin_setup.sender}>" in message["content"]


def test_a_wrong_smtp_password_fails(plugin_setup, smtp, tmp_path, java, classpath, zms_conf):
    env = {**plugin_setup.env, "AWS_SES_PASS": "not-the-plans-password"}
    run = run_with_plugin(plugin_setup, smtp, tmp_path, java, classpath, zms_conf, env=env)
    assert run.code == NOT_SENT
    assert "com.mlajkim.athenz.SesService.notify returned false" in run.failure
    assert [ok for _, _, ok in smtp.logins] == [False] and smtp.messages == []
