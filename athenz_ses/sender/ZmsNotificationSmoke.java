/*
 * ZmsNotificationSmoke: sends one Athenz notification the way ZMS sends it, with ZMS's
 * classes, properties and environment, and tells whether the notifier accepted it.
 *
 *   java -classpath "<dir of this class>:$CLASSPATH:$USER_CLASSPATH" $JAVA_OPTS \
 *       ZmsNotificationSmoke <recipient>
 *
 * <recipient> is an email address (used as it is) or an Athenz user principal such as
 * user.alice, which becomes an address exactly as ZMS maps its principals
 * (NotificationConverterCommon.getFullyQualifiedEmailAddress: the notification user
 * authority's address if one is configured, else alice@<athenz.notification_email_domain_to>).
 * ZMS hands that mapping its user authority (athenz.zms.user_authority_class); this class
 * hands it none, so only athenz.notification_user_authority can change the address.
 *
 * What it repeats of ZMS, in ZMS's order (Athenz source, tags v1.12.14 and v1.12.44):
 *  1. the configuration sources, through Athenz's own ConfigManagerSingleton.CONFIG_MANAGER
 *     (libs/java/server_common/.../util/config/ConfigManager.java). Every key of a source
 *     is written into the system properties, so a key in a file wins over a -D flag, and
 *     a source added earlier wins over a later one:
 *     a. AthenzJettyContainer.initConfigManager (containers/jetty/.../AthenzJettyContainer.java):
 *        the sources of athenz.config.source_paths (comma-separated), then athenz.prop_file,
 *        default <athenz.root_dir or /home/athenz>/conf/athenz/athenz.properties;
 *     b. ZMSImpl.loadSystemProperties (servers/zms/.../ZMSImpl.java): athenz.zms.prop_file,
 *        default <athenz.zms.root_dir or /home/athenz>/conf/zms_server/zms.properties.
 *     ZMS's images start ZMS through docker-entrypoint.sh, which adds
 *     -Dathenz.prop_file=$CONF_PATH/athenz.properties and
 *     -Dathenz.zms.prop_file=$CONF_PATH/zms.properties to the command line: this class is
 *     started without that script, so when a property is unset and CONF_PATH is set it
 *     uses those two paths. A file that cannot be read stops ZMS (the ConfigManager
 *     throws); here it is exit code 3.
 *  2. the private key store ZMS hands to every notifier factory (ZMSImpl.loadPrivateKeyStore):
 *     athenz.zms.private_key_store_factory_class, default
 *     com.yahoo.athenz.auth.impl.FilePrivateKeyStoreFactory, create(). ZMS then reads its
 *     own signing keys from it; this class does not (no notifier factory of Athenz needs them).
 *  3. the notifiers (NotificationManager's constructor, libs/java/server_common/.../notification/
 *     NotificationManager.java): athenz.zms.notification_service_factory_class, split at ',',
 *     each name trimmed, Class.forName(name).getDeclaredConstructor().newInstance(), then
 *     create(privateKeyStore). ZMS also hands each service its database (setDomainProvider);
 *     this class has none and leaves the services' default. Where ZMS logs a factory that
 *     fails and goes on without it, this class stops: such a ZMS would not send through it.
 *  4. one Notification consolidated by principal (EmailNotificationService only mails those),
 *     with this class as its NotificationToEmailConverter, handed to notify() of every service.
 *     EmailNotificationService (the built-in SES notifier's) sends From
 *     <athenz.notification_email_from>@<athenz.notification_email_domain_from> to the
 *     NotificationEmail's fully-qualified recipients; a plugin does what it does.
 *
 * stdout: "key: value" lines: recipient (the argument), athenz.properties and zms.properties
 * (the files read), factory (each factory and the service it created), from (what the
 * properties give EmailNotificationService; a plugin may send from another address), to (the
 * NotificationEmail's recipients; a plugin may read the principal instead), notify (each
 * service's answer), sent.
 * Exit codes: 0 every notifier's notify() returned true; 1 a notify() returned false or
 * threw; 2 usage; 3 ZMS's configuration: a file cannot be read, the key store or a factory
 * cannot be loaded or created, or no factory is configured. Not 0: one line on stderr,
 * starting with "ZmsNotificationSmoke: ".
 *
 * One top-level class, no nested, anonymous or lambda classes: it compiles to one class
 * file (javac --release 11), shipped as it is.
 */

import com.yahoo.athenz.auth.PrivateKeyStore;
import com.yahoo.athenz.auth.PrivateKeyStoreFactory;
import com.yahoo.athenz.common.server.notification.Notification;
import com.yahoo.athenz.common.server.notification.NotificationConverterCommon;
import com.yahoo.athenz.common.server.notification.NotificationEmail;
import com.yahoo.athenz.common.server.notification.NotificationService;
import com.yahoo.athenz.common.server.notification.NotificationServiceConstants;
import com.yahoo.athenz.common.server.notification.NotificationServiceFactory;
import com.yahoo.athenz.common.server.notification.NotificationToEmailConverter;
import com.yahoo.athenz.common.server.util.config.ConfigManagerSingleton;
import com.yahoo.athenz.common.server.util.config.providers.ConfigProviderFile;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

public final class ZmsNotificationSmoke implements NotificationToEmailConverter {

    // Property names and defaults of Athenz's jetty container and ZMS server jars (not on
    // every classpath this class runs with): AthenzConsts, ZMSConsts.
    static final String CONFIG_SOURCE_PATHS = "athenz.config.source_paths";
    static final String ATHENZ_PROP_FILE = "athenz.prop_file";
    static final String ATHENZ_ROOT_DIR = "athenz.root_dir";
    static final String ZMS_PROP_FILE = "athenz.zms.prop_file";
    static final String ZMS_ROOT_DIR = "athenz.zms.root_dir";
    static final String DEFAULT_ROOT = "/home/athenz";
    static final String KEY_STORE_FACTORY = "athenz.zms.private_key_store_factory_class";
    static final String DEFAULT_KEY_STORE_FACTORY = "com.yahoo.athenz.auth.impl.FilePrivateKeyStoreFactory";
    // EmailNotificationService's.
    static final String EMAIL_FROM = "athenz.notification_email_from";
    static final String EMAIL_DOMAIN_FROM = "athenz.notification_email_domain_from";

    static final String SUBJECT = "athenz-ses smoke test";
    static final String BODY = "<html><body><p>Athenz ZMS's notifier accepted this mail from the athenz-ses "
            + "smoke test, sent with ZMS's classes and settings.</p></body></html>";

    static final int SENT = 0;
    static final int NOT_SENT = 1;
    static final int USAGE = 2;
    static final int CONFIGURATION = 3;

    private NotificationConverterCommon converterCommon;

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (Throwable t) {
            code = fail(NOT_SENT, "unexpected " + t);
        }
        System.out.flush();
        // The AWS SDK and the ConfigManager leave threads behind: end the JVM here.
        System.exit(code);
    }

    static int run(String[] args) {
        if (args.length != 1 || args[0].trim().isEmpty()) {
            return fail(USAGE, "usage: java ZmsNotificationSmoke <recipient address or user principal>");
        }
        String recipient = args[0].trim();
        System.out.println("recipient: " + recipient);

        // 1. The configuration sources, as the container and ZMSImpl add them.
        String sourcePaths = System.getProperty(CONFIG_SOURCE_PATHS);
        if (sourcePaths != null && !sourcePaths.isEmpty()) {
            for (String source : sourcePaths.split(",")) {
                String problem = addSource(source, source);
                if (problem != null) {
                    return fail(CONFIGURATION, problem);
                }
            }
        }
        String athenzFile = propertyFile(ATHENZ_PROP_FILE, "athenz.properties", ATHENZ_ROOT_DIR,
                "/conf/athenz/athenz.properties");
        String problem = addSource(athenzFile, ConfigProviderFile.PROVIDER_DESCRIPTION_PREFIX + athenzFile);
        if (problem != null) {
            return fail(CONFIGURATION, problem);
        }
        System.out.println("athenz.properties: " + athenzFile);
        String zmsFile = propertyFile(ZMS_PROP_FILE, "zms.properties", ZMS_ROOT_DIR, "/conf/zms_server/zms.properties");
        problem = addSource(zmsFile, ConfigProviderFile.PROVIDER_DESCRIPTION_PREFIX + zmsFile);
        if (problem != null) {
            return fail(CONFIGURATION, problem);
        }
        System.out.println("zms.properties: " + zmsFile);

        // 2. The private key store ZMS passes to the factories.
        String keyStoreFactory = System.getProperty(KEY_STORE_FACTORY, DEFAULT_KEY_STORE_FACTORY);
        PrivateKeyStore keyStore;
        try {
            keyStore = ((PrivateKeyStoreFactory) Class.forName(keyStoreFactory).getDeclaredConstructor()
                    .newInstance()).create();
        } catch (Exception ex) {
            return fail(CONFIGURATION, "private key store factory " + keyStoreFactory + " cannot be loaded: " + ex);
        }

        // 3. The notifiers, as NotificationManager loads them.
        String factories = System.getProperty(NotificationServiceConstants.NOTIFICATION_PROP_SERVICE_FACTORY_CLASS);
        if (factories == null || factories.isEmpty()) {
            return fail(CONFIGURATION, NotificationServiceConstants.NOTIFICATION_PROP_SERVICE_FACTORY_CLASS
                    + " is not set: ZMS loads no notifier and sends no notification");
        }
        List<NotificationService> services = new ArrayList<>();
        for (String name : factories.split(",")) {
            String factoryClass = name.trim();
            NotificationService service;
            try {
                NotificationServiceFactory factory = (NotificationServiceFactory) Class.forName(factoryClass)
                        .getDeclaredConstructor().newInstance();
                service = factory.create(keyStore);
            } catch (Throwable t) {
                return fail(CONFIGURATION, "notification service factory " + factoryClass + " cannot be loaded: " + t);
            }
            if (service == null) {
                return fail(CONFIGURATION, "notification service factory " + factoryClass
                        + " created no service: ZMS skips it");
            }
            System.out.println("factory: " + factoryClass + " (service " + service.getClass().getName() + ")");
            services.add(service);
        }
        System.out.println("from: " + System.getProperty(EMAIL_FROM) + "@" + System.getProperty(EMAIL_DOMAIN_FROM));

        // 4. One notification, to every notifier.
        ZmsNotificationSmoke converter = new ZmsNotificationSmoke();
        Notification notification = new Notification(Notification.Type.ROLE_MEMBER_EXPIRY);
        notification.setConsolidatedBy(Notification.ConsolidatedBy.PRINCIPAL);
        notification.addRecipient(recipient);
        notification.setNotificationToEmailConverter(converter);
        System.out.println("to: " + String.join(",", converter.getNotificationAsEmail(notification)
                .getFullyQualifiedRecipientsEmail()));
        for (NotificationService service : services) {
            String serviceClass = service.getClass().getName();
            boolean sent;
            try {
                sent = service.notify(notification);
            } catch (Throwable t) {
                return fail(NOT_SENT, serviceClass + ".notify threw " + t);
            }
            System.out.println("notify: " + serviceClass + " " + sent);
            if (!sent) {
                return fail(NOT_SENT, serviceClass + ".notify returned false: the notifier did not send");
            }
        }
        System.out.println("sent: true");
        return SENT;
    }

    /** The file a property names; else what the images' entrypoints pass, $CONF_PATH/<name>;
     *  else the server's default, <root dir property or /home/athenz><suffix>. */
    static String propertyFile(String property, String name, String rootProperty, String suffix) {
        String file = System.getProperty(property);
        if (file != null) {
            return file;
        }
        String confPath = System.getenv("CONF_PATH");
        if (confPath != null && !confPath.isEmpty()) {
            return confPath + "/" + name;
        }
        return System.getProperty(rootProperty, DEFAULT_ROOT) + suffix;
    }

    /** Adds one configuration source to Athenz's ConfigManager; the problem, or null. */
    static String addSource(String what, String description) {
        try {
            ConfigManagerSingleton.CONFIG_MANAGER.addConfigSource(description);
            return null;
        } catch (Throwable t) {
            return "cannot load " + what + " (ZMS would not start): " + t.getMessage();
        }
    }

    static int fail(int code, String message) {
        System.out.flush();
        System.err.println("ZmsNotificationSmoke: " + message.replace('\n', ' '));
        return code;
    }

    /** What ZMS's converters do: the subject, an HTML body, and the recipients made
     *  fully-qualified addresses (an address stays as it is). */
    @Override
    public NotificationEmail getNotificationAsEmail(Notification notification) {
        Set<String> addresses = new LinkedHashSet<>();
        for (String recipient : notification.getRecipients()) {
            if (recipient.indexOf('@') >= 0) {
                addresses.add(recipient);
            } else {
                if (converterCommon == null) {
                    converterCommon = new NotificationConverterCommon(null);
                }
                addresses.add(converterCommon.getFullyQualifiedEmailAddress(recipient));
            }
        }
        return new NotificationEmail(SUBJECT, BODY, addresses);
    }
}
