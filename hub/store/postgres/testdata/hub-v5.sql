--
-- PostgreSQL database dump
--

\restrict R91n9etEDGBN0dLuXWUi4xqYKFhKNYRo0ha0YvbonKEZmKNTWTbx9Mma4z2HmM3

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accounts (
    id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    role text NOT NULL COLLATE pg_catalog."C",
    disabled boolean DEFAULT false NOT NULL,
    password_hash text NOT NULL,
    created_at bigint NOT NULL,
    last_login_at bigint DEFAULT 0 NOT NULL,
    failures bigint DEFAULT 0 NOT NULL,
    locks bigint DEFAULT 0 NOT NULL,
    locked_until bigint DEFAULT 0 NOT NULL
);


--
-- Name: api_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_tokens (
    name text NOT NULL COLLATE pg_catalog."C",
    scope text NOT NULL COLLATE pg_catalog."C",
    hash text NOT NULL COLLATE pg_catalog."C",
    created_at bigint NOT NULL,
    created_by text DEFAULT ''::text NOT NULL
);


--
-- Name: audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit (
    id bigint NOT NULL,
    at bigint NOT NULL,
    origin text NOT NULL COLLATE pg_catalog."C",
    actor text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    role text DEFAULT ''::text NOT NULL,
    action text NOT NULL COLLATE pg_catalog."C",
    subject text DEFAULT ''::text NOT NULL,
    detail text DEFAULT ''::text NOT NULL,
    client text DEFAULT ''::text NOT NULL,
    event_id text DEFAULT ''::text NOT NULL
);


--
-- Name: audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_id_seq OWNED BY public.audit.id;


--
-- Name: cases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cases (
    kind text NOT NULL COLLATE pg_catalog."C",
    id text NOT NULL COLLATE pg_catalog."C",
    outlet text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    state text NOT NULL,
    open boolean NOT NULL,
    label text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    since bigint NOT NULL,
    hlc bigint NOT NULL,
    owner text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    due bigint DEFAULT 0 NOT NULL
);


--
-- Name: conflicts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conflicts (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint NOT NULL,
    seq bigint NOT NULL,
    held_id text NOT NULL,
    sent_id text NOT NULL,
    event text,
    at bigint NOT NULL
);


--
-- Name: counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.counters (
    name text NOT NULL COLLATE pg_catalog."C",
    n bigint NOT NULL
);


--
-- Name: dead_letters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dead_letters (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint NOT NULL,
    seq bigint NOT NULL,
    code text NOT NULL,
    reason text NOT NULL,
    event text,
    at bigint NOT NULL
);


--
-- Name: downlink; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.downlink (
    seq bigint NOT NULL,
    target text NOT NULL COLLATE pg_catalog."C",
    event text NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: downlink_head; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.downlink_head (
    one boolean DEFAULT true NOT NULL,
    seq bigint NOT NULL,
    CONSTRAINT downlink_head_one_check CHECK (one)
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
)
PARTITION BY RANGE (hlc);


--
-- Name: events_2026_11; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2026_11 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2026_12; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2026_12 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_01; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_01 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_02; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_02 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_03; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_03 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_04; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_04 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_05; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_05 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_06; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_06 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_07; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_07 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_08; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_08 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_09; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_09 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_10; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_10 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_11; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_11 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_2027_12; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2027_12 (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: events_default; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_default (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint DEFAULT 0 NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: held_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.held_events (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    hlc bigint NOT NULL,
    actor text NOT NULL,
    type text NOT NULL COLLATE pg_catalog."C",
    v integer NOT NULL,
    subject text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    target text DEFAULT ''::text NOT NULL,
    payload text,
    received_at bigint NOT NULL,
    order_hlc bigint
);


--
-- Name: measure_facts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.measure_facts (
    kind text NOT NULL COLLATE pg_catalog."C",
    id text NOT NULL COLLATE pg_catalog."C",
    outlet text NOT NULL COLLATE pg_catalog."C",
    person text NOT NULL COLLATE pg_catalog."C",
    label text NOT NULL COLLATE pg_catalog."C",
    at bigint NOT NULL,
    reply_at bigint NOT NULL,
    result_at bigint NOT NULL,
    escalations bigint NOT NULL,
    satisfaction bigint NOT NULL,
    claim boolean NOT NULL,
    amount_cents bigint NOT NULL
);


--
-- Name: measure_tallies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.measure_tallies (
    day bigint NOT NULL,
    outlet text NOT NULL COLLATE pg_catalog."C",
    person text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL COLLATE pg_catalog."C",
    n bigint NOT NULL
);


--
-- Name: outlets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outlets (
    id text NOT NULL COLLATE pg_catalog."C",
    secret_hash text DEFAULT ''::text NOT NULL,
    acked_seq bigint DEFAULT 0 NOT NULL,
    last_seen bigint DEFAULT 0 NOT NULL,
    down_cursor bigint DEFAULT 0 NOT NULL,
    created_at bigint NOT NULL,
    epoch bigint DEFAULT 0 NOT NULL,
    incarnation text DEFAULT ''::text NOT NULL,
    clock_offset_ms bigint DEFAULT 0 NOT NULL,
    clock_skewed_events bigint DEFAULT 0 NOT NULL,
    region text DEFAULT ''::text NOT NULL,
    city text DEFAULT ''::text NOT NULL,
    head bigint,
    oldest_unsynced bigint DEFAULT 0 NOT NULL,
    rejects bigint DEFAULT 0 NOT NULL
);


--
-- Name: parcels; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.parcels (
    waybill text NOT NULL COLLATE pg_catalog."C",
    outlet text NOT NULL COLLATE pg_catalog."C",
    state text NOT NULL,
    since bigint NOT NULL
);


--
-- Name: pending_ranges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pending_ranges (
    origin text NOT NULL COLLATE pg_catalog."C",
    epoch bigint NOT NULL,
    first bigint NOT NULL,
    last bigint NOT NULL
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: serial_once; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.serial_once (
    key text NOT NULL COLLATE pg_catalog."C",
    down_seq bigint NOT NULL
);


--
-- Name: serials; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.serials (
    name text NOT NULL COLLATE pg_catalog."C",
    next bigint NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    hash text NOT NULL COLLATE pg_catalog."C",
    account text NOT NULL COLLATE pg_catalog."C",
    created_at bigint NOT NULL,
    last_seen bigint NOT NULL,
    client text DEFAULT ''::text NOT NULL
);


--
-- Name: settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.settings (
    name text NOT NULL COLLATE pg_catalog."C",
    value text NOT NULL
);


--
-- Name: events_2026_11; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2026_11 FOR VALUES FROM ('117538239283200000') TO ('117708108595200000');


--
-- Name: events_2026_12; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2026_12 FOR VALUES FROM ('117708108595200000') TO ('117883640217600000');


--
-- Name: events_2027_01; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_01 FOR VALUES FROM ('117883640217600000') TO ('118059171840000000');


--
-- Name: events_2027_02; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_02 FOR VALUES FROM ('118059171840000000') TO ('118217716531200000');


--
-- Name: events_2027_03; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_03 FOR VALUES FROM ('118217716531200000') TO ('118393248153600000');


--
-- Name: events_2027_04; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_04 FOR VALUES FROM ('118393248153600000') TO ('118563117465600000');


--
-- Name: events_2027_05; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_05 FOR VALUES FROM ('118563117465600000') TO ('118738649088000000');


--
-- Name: events_2027_06; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_06 FOR VALUES FROM ('118738649088000000') TO ('118908518400000000');


--
-- Name: events_2027_07; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_07 FOR VALUES FROM ('118908518400000000') TO ('119084050022400000');


--
-- Name: events_2027_08; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_08 FOR VALUES FROM ('119084050022400000') TO ('119259581644800000');


--
-- Name: events_2027_09; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_09 FOR VALUES FROM ('119259581644800000') TO ('119429450956800000');


--
-- Name: events_2027_10; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_10 FOR VALUES FROM ('119429450956800000') TO ('119604982579200000');


--
-- Name: events_2027_11; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_11 FOR VALUES FROM ('119604982579200000') TO ('119774851891200000');


--
-- Name: events_2027_12; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2027_12 FOR VALUES FROM ('119774851891200000') TO ('119950383513600000');


--
-- Name: events_default; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_default DEFAULT;


--
-- Name: audit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit ALTER COLUMN id SET DEFAULT nextval('public.audit_id_seq'::regclass);


--
-- Data for Name: accounts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.accounts (id, name, role, disabled, password_hash, created_at, last_login_at, failures, locks, locked_until) FROM stdin;
yingji	应急小李	emergency	f	$argon2id$v=19$m=19456,t=2,p=1$ThbpH+FIy40pqU95Urjf3A$EYMYSpRfctuMBP4BIX49Bs2gILvuAqEuo8ALTXm5fV4	1796155225977	0	0	0	0
kefu	客服小王	service	f	$argon2id$v=19$m=19456,t=2,p=1$BFfSYhEquL1zs0NDLrdc0g$6iMJMx52MG9RdEJ9X++iOXJ2D5UoRuM/DeA3y4iyGCc	1796155225946	1796155225979	0	0	0
\.


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_tokens (name, scope, hash, created_at, created_by) FROM stdin;
bi-export	read	a263829bb68ef07fd25e18e5bee254cec7b3e5a3313584481fca4e68c88d4530	1796155226045	admin
\.


--
-- Data for Name: audit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.audit (id, at, origin, actor, role, action, subject, detail, client, event_id) FROM stdin;
1	1796155225947	hub	admin	admin	POST /api/v1/accounts	/api/v1/accounts		127.0.0.1	
2	1796155225978	hub	admin	admin	POST /api/v1/accounts	/api/v1/accounts		127.0.0.1	
3	1796155226044	hub	kefu	service	login	account/kefu		127.0.0.1	
4	1796155226046	hub	admin	admin	POST /api/v1/tokens	/api/v1/tokens		127.0.0.1	
5	1796155226059	hub	admin	admin	POST /api/v1/notices	/api/v1/notices		127.0.0.1	
6	1796155226071	hub	admin	admin	POST /api/v1/notices	/api/v1/notices		127.0.0.1	
7	1796155226084	hub	admin	admin	POST /api/v1/notices/{id}/end	/api/v1/notices/01a23331-b7cc-7be7-a4cf-afdfcfb40d63/end		127.0.0.1	
8	1796155226087	hub	admin	admin	POST /api/v1/reply-templates	/api/v1/reply-templates		127.0.0.1	
9	1796155226113	hub	admin	admin	POST /api/v1/tariffs	/api/v1/tariffs		127.0.0.1	
10	1796155226122	hub	admin	admin	POST /api/v1/prohibited-lists	/api/v1/prohibited-lists		127.0.0.1	
11	1796155226129	hub	admin	admin	POST /api/v1/outlets/{id}/waybill-blocks	/api/v1/outlets/SH-001/waybill-blocks		127.0.0.1	
12	1796155226149	hub	admin	admin	POST /api/v1/manifests	/api/v1/manifests		127.0.0.1	
13	1796155227992	SH-001	c01		audit.login	staff/c01	{"staff_id":"c01","client":"127.0.0.1","at":1796155227992}	127.0.0.1	01a23331-bf58-725b-be65-273f2f71af05
14	1796155228470	hub	admin	admin	POST /api/v1/exceptions/{id}/steps	/api/v1/exceptions/01a23331-c03f-7ce7-b45b-268ca2cab74f/steps		127.0.0.1	
15	1796155228478	hub	admin	admin	GET /api/v1/exceptions/{id}	/api/v1/exceptions/01a23331-c03f-7ce7-b45b-268ca2cab74f		127.0.0.1	
16	1796155228494	hub	admin	admin	POST /api/v1/exceptions/{id}/steps	/api/v1/exceptions/01a23331-c03f-7ce7-b45b-268ca2cab74f/steps		127.0.0.1	
17	1796155228500	hub	admin	admin	POST /api/v1/complaints/{id}/steps	/api/v1/complaints/01a23331-c04a-7e9d-ac61-3a1436dc8e15/steps		127.0.0.1	
18	1796155228678	hub	admin	admin	GET /api/v1/complaints/{id}	/api/v1/complaints/01a23331-c04a-7e9d-ac61-3a1436dc8e15		127.0.0.1	
19	1796155228680	hub	admin	admin	GET /api/v1/complaints/{id}	/api/v1/complaints/01a23331-c055-733b-af8a-0ae6ac003bfa		127.0.0.1	
20	1796155228687	hub	admin	admin	GET /api/v1/exceptions/{id}	/api/v1/exceptions/01a23331-c03f-7ce7-b45b-268ca2cab74f		127.0.0.1	
21	1796155228691	hub	admin	admin	GET /api/v1/exceptions/{id}	/api/v1/exceptions/01a23331-c049-7664-9926-93b435a2616c		127.0.0.1	
\.


--
-- Data for Name: cases; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.cases (kind, id, outlet, state, open, label, since, hlc, owner, due) FROM stdin;
notice	01a23331-b7bf-793d-a965-987f69d7a0f4		published	t		1796155226047	117712828894216192		0
notice	01a23331-b7cc-7be7-a4cf-afdfcfb40d63		ended	f		1796155226060	117712828895133696		0
template	01a23331-b7e5-75ea-95a3-4c67f6fbc717		published	t	delay	1796155226085	117712828896706560		0
tariff	T-R1		published	t		1796155226088	117712828896903168		0
prohibited	P-R1		published	t		1796155226119	117712828898934784		0
manifest	01a23331-b817-7e93-bf10-d2f4bf85bba1	SH-001	published	t	K-07	1796155226135	117712828900048896		0
complaint	01a23331-c055-733b-af8a-0ae6ac003bfa	SH-001	received	t	suggestion	1796155228243	117712829038264320	c01	1796241628243
exception	01a23331-c049-7664-9926-93b435a2616c	SH-001	reported	t	lost	1796155228231	117712829037477888	c01	1796760028231
handover	01a23331-c064-7456-bfa7-ec887463374b	SH-001	closed	f	K-07	1796155228258	117712829039312896		0
exception	hx-df0f97b60d2ab9ebb6347ca19ec4cff3	SH-001	reported	t	lost	1796155228267	117712829039968256	c01	1796760028267
exception	01a23331-c03f-7ce7-b45b-268ca2cab74f	SH-001	claim_decided	t	damaged	1796155228222	117712829036822528	hq-li	0
complaint	01a23331-c04a-7e9d-ac61-3a1436dc8e15	SH-001	acknowledged	t	complaint	1796155228232	117712829037608960	c01	1796760028232
\.


--
-- Data for Name: conflicts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.conflicts (origin, epoch, seq, held_id, sent_id, event, at) FROM stdin;
\.


--
-- Data for Name: counters; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.counters (name, n) FROM stdin;
\.


--
-- Data for Name: dead_letters; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.dead_letters (origin, epoch, seq, code, reason, event, at) FROM stdin;
\.


--
-- Data for Name: downlink; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.downlink (seq, target, event, created_at) FROM stdin;
1	*	{"id":"01a23331-b7bf-7cfa-a675-f3d3d37e5a69","origin":"hub","seq":1,"hlc":117712828894216192,"actor":"admin","type":"notice.published","v":1,"subject":"01a23331-b7bf-793d-a965-987f69d7a0f4","target":"*","payload":{"title":"双十一期间服务调整","text":"延长营业时间至22点。","severity":"warning","valid_from":1796155226047,"valid_to":0}}	1796155226049
2	*	{"id":"01a23331-b7cd-7068-8e6d-9dcb1f23ab0a","origin":"hub","seq":2,"hlc":117712828895133696,"actor":"admin","type":"notice.published","v":1,"subject":"01a23331-b7cc-7be7-a4cf-afdfcfb40d63","target":"*","payload":{"title":"暴雨预警","text":"今日派送可能延误。","severity":"info","valid_from":1796155226060,"valid_to":0}}	1796155226061
3	*	{"id":"01a23331-b7dd-784e-be1f-e243e4946969","origin":"hub","seq":3,"hlc":117712828896182272,"actor":"admin","type":"notice.ended","v":1,"subject":"01a23331-b7cc-7be7-a4cf-afdfcfb40d63","target":"*","payload":{"text":"预警解除。","at":1796155226077}}	1796155226077
4	*	{"id":"01a23331-b7e5-7845-84b7-3bef80ab6b00","origin":"hub","seq":4,"hlc":117712828896706560,"actor":"admin","type":"template.published","v":1,"subject":"01a23331-b7e5-75ea-95a3-4c67f6fbc717","target":"*","payload":{"title":"延误致歉","text":"您好，包裹因天气延误，我们深表歉意。","category":"delay"}}	1796155226085
5	*	{"id":"01a23331-b7e8-73cc-9b35-1ec53e003a01","origin":"hub","seq":5,"hlc":117712828896903168,"actor":"admin","type":"tariff.published","v":1,"subject":"T-R1","target":"*","payload":{"version":"T-R1","zones":{"310000":"local"},"rates":{"local":{"first_grams":1000,"first_fen":800,"step_grams":1000,"step_fen":200}},"volumetric_divisor":8000,"max_weight_grams":50000,"insurance":{"rate_bp":100,"min_fen":100,"max_declared_fen":0}}}	1796155226088
6	*	{"id":"01a23331-b807-777f-b6df-6c43a88a1652","origin":"hub","seq":6,"hlc":117712828898934784,"actor":"admin","type":"prohibited.published","v":1,"subject":"P-R1","target":"*","payload":{"version":"P-R1","items":[{"code":"B01","name":"易燃易爆物品","rule":"forbidden"}]}}	1796155226119
7	SH-001	{"id":"01a23331-b80d-75f0-a407-14202d7bcaba","origin":"hub","seq":7,"hlc":117712828899328000,"actor":"admin","type":"waybill_block.allocated","v":1,"subject":"SH-001","target":"SH-001","payload":{"prefix":"YZ","first":0,"last":9,"country":"CN","at":1796155226128}}	1796155226125
8	SH-001	{"id":"01a23331-b818-7213-858d-0bdd037301e3","origin":"hub","seq":8,"hlc":117712828900048896,"actor":"admin","type":"manifest.published","v":1,"subject":"01a23331-b817-7e93-bf10-d2f4bf85bba1","target":"SH-001","payload":{"waybills":["SF7000000000001","SF7000000000002"],"courier":"K-07","expected_at":1796158826000,"at":1796155226135}}	1796155226141
9	SH-001	{"id":"01a23331-c12a-7f33-bfca-381d2dfb0ee7","origin":"hub","seq":9,"hlc":117712829052223488,"actor":"admin","type":"exception.step","v":1,"subject":"01a23331-c03f-7ce7-b45b-268ca2cab74f","target":"SH-001","payload":{"step":"assign","owner":"hq-li","at":1796155228458}}	1796155228459
10	SH-001	{"id":"01a23331-c143-7b9c-ad6c-6b1279e97575","origin":"hub","seq":10,"hlc":117712829053861888,"actor":"admin","type":"exception.step","v":1,"subject":"01a23331-c03f-7ce7-b45b-268ca2cab74f","target":"SH-001","payload":{"step":"decide_claim","approved":true,"amount_cents":8800,"at":1796155228483}}	1796155228484
11	SH-001	{"id":"01a23331-c150-7264-a03e-a5c994e6a04c","origin":"hub","seq":11,"hlc":117712829054713856,"actor":"admin","type":"complaint.step","v":1,"subject":"01a23331-c04a-7e9d-ac61-3a1436dc8e15","target":"SH-001","payload":{"step":"escalate","reason":"media","at":1796155228496}}	1796155228496
\.


--
-- Data for Name: downlink_head; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.downlink_head (one, seq) FROM stdin;
t	11
\.


--
-- Data for Name: events_2026_11; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2026_11 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2026_12; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2026_12 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
hub	0	1	01a23331-b7bf-7cfa-a675-f3d3d37e5a69	117712828894216192	admin	notice.published	1	01a23331-b7bf-793d-a965-987f69d7a0f4	*	{"title":"双十一期间服务调整","text":"延长营业时间至22点。","severity":"warning","valid_from":1796155226047,"valid_to":0}	1796155226049	\N
hub	0	2	01a23331-b7cd-7068-8e6d-9dcb1f23ab0a	117712828895133696	admin	notice.published	1	01a23331-b7cc-7be7-a4cf-afdfcfb40d63	*	{"title":"暴雨预警","text":"今日派送可能延误。","severity":"info","valid_from":1796155226060,"valid_to":0}	1796155226061	\N
hub	0	3	01a23331-b7dd-784e-be1f-e243e4946969	117712828896182272	admin	notice.ended	1	01a23331-b7cc-7be7-a4cf-afdfcfb40d63	*	{"text":"预警解除。","at":1796155226077}	1796155226077	\N
hub	0	4	01a23331-b7e5-7845-84b7-3bef80ab6b00	117712828896706560	admin	template.published	1	01a23331-b7e5-75ea-95a3-4c67f6fbc717	*	{"title":"延误致歉","text":"您好，包裹因天气延误，我们深表歉意。","category":"delay"}	1796155226085	\N
hub	0	5	01a23331-b7e8-73cc-9b35-1ec53e003a01	117712828896903168	admin	tariff.published	1	T-R1	*	{"version":"T-R1","zones":{"310000":"local"},"rates":{"local":{"first_grams":1000,"first_fen":800,"step_grams":1000,"step_fen":200}},"volumetric_divisor":8000,"max_weight_grams":50000,"insurance":{"rate_bp":100,"min_fen":100,"max_declared_fen":0}}	1796155226088	\N
hub	0	6	01a23331-b807-777f-b6df-6c43a88a1652	117712828898934784	admin	prohibited.published	1	P-R1	*	{"version":"P-R1","items":[{"code":"B01","name":"易燃易爆物品","rule":"forbidden"}]}	1796155226119	\N
hub	0	7	01a23331-b80d-75f0-a407-14202d7bcaba	117712828899328000	admin	waybill_block.allocated	1	SH-001	SH-001	{"prefix":"YZ","first":0,"last":9,"country":"CN","at":1796155226128}	1796155226125	\N
hub	0	8	01a23331-b818-7213-858d-0bdd037301e3	117712828900048896	admin	manifest.published	1	01a23331-b817-7e93-bf10-d2f4bf85bba1	SH-001	{"waybills":["SF7000000000001","SF7000000000002"],"courier":"K-07","expected_at":1796158826000,"at":1796155226135}	1796155226141	\N
SH-001	0	1	01a23331-bf58-725b-be65-273f2f71af05	117712829021683712	c01	audit.login	1	staff/c01		{"staff_id":"c01","client":"127.0.0.1","at":1796155227992}	1796155227993	\N
SH-001	0	2	01a23331-bf6e-76a3-a096-9b947e53360b	117712829023125504	token:e2e	parcel.scanned	1	SF1000000000001		{"barcode":"SF1000000000001","action":"inbound","kind":"carrier","carriers":["SF"]}	1796155228018	\N
SH-001	0	3	01a23331-bf70-7684-b753-c2e792ae5435	117712829023256576	token:e2e	parcel.scanned	1	SF1000000000001		{"barcode":"SF1000000000001","action":"inbound","kind":"carrier","carriers":["SF"]}	1796155228023	\N
SH-001	0	4	01a23331-bf71-7e76-9cb7-219357068f08	117712829023322112	token:e2e	parcel.scanned	1	XYZ-0001		{"barcode":"XYZ-0001","action":"inbound","kind":"unknown","flags":["unknown_format"]}	1796155228023	\N
SH-001	0	5	01a23331-bf73-77e7-9b79-b114c7a6517c	117712829023453184	c01	parcel.inbound	1	SF2000000000001		{"waybill":"SF2000000000001","phone_sealed":"v2:4748580b:0Jj_udrUESqVLzSPRlKeQAjqoD8AVO6pZI6AAc9p2-a7eKaAXgTU","phone_masked":"138****5678","name_sealed":"v2:4748580b:2x84kFsZKBfVaPhPPYFLUIJ87Ut9g7p1pXGSGZmIV6KCgvzoOg","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228018}	1796155228023	\N
SH-001	0	6	01a23331-bf75-7052-b935-8146d7819669	117712829023584256	c01	parcel.inbound	1	SF2000000000006		{"waybill":"SF2000000000006","phone_sealed":"v2:4748580b:xh_DfWs0ihUSpKdELwJ1KwMCGfAHo6DDfSU_fr4nJO7oHDOF6rkA","phone_masked":"138****5678","name_sealed":"v2:4748580b:1G7kz5hVJyXtaBvNuXfDem-TiExdqnDDTg2PSamlTGEcuo6tqw","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228019}	1796155228050	\N
SH-001	0	7	01a23331-bf7a-78ef-9c65-7a080f6736af	117712829023911936	c01	parcel.shelved	1	SF2000000000006		{"shelf":"3","layer":"2","code":"3-2-8089","at":1796155228026}	1796155228050	\N
SH-001	0	8	01a23331-bf7c-71e1-acdd-00d77fc47357	117712829024043008	c01	parcel.notified	1	SF2000000000006		{"reason":"arrival","channel":"log","at":1796155228027}	1796155228050	\N
SH-001	0	9	01a23331-bf83-7489-af6e-27232242357c	117712829024501760	c01	parcel.inbound	1	SF2000000000007		{"waybill":"SF2000000000007","phone_sealed":"v2:4748580b:H-WbRzVQ3K6FXh4thQEuXRrxq6UDRaBZYdQH5XLT6_ipN8OlydQ1","phone_masked":"138****5678","name_sealed":"v2:4748580b:VDCOXufiU-aK-fSxgCqrJMtTch2e18d_dhHqOOgEiTG2y_wx3Q","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228030}	1796155228050	\N
SH-001	0	10	01a23331-bf85-7792-87d6-e1e998385902	117712829024632832	c01	parcel.shelved	1	SF2000000000007		{"shelf":"3","layer":"2","code":"3-2-9391","at":1796155228037}	1796155228050	\N
SH-001	0	11	01a23331-bf87-7c64-aa88-bd03483af083	117712829024763904	c01	parcel.notified	1	SF2000000000007		{"reason":"arrival","channel":"log","at":1796155228039}	1796155228073	\N
SH-001	0	12	01a23331-bf8b-739a-a315-ab028b78ff95	117712829025026048	c01	parcel.inbound	1	SF2000000000002		{"waybill":"SF2000000000002","phone_sealed":"v2:4748580b:FcnoV9xxxi2jjfhHyWUPXzdDrP7oztJfh-zG2z5mibm15PjBHgt4","phone_masked":"138****5678","name_sealed":"v2:4748580b:0XQVRnUETWPkKOU4z5lDGdGqfJMQ5nIyzeIO5ZyjfFO70Ejy2Q","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228043}	1796155228073	\N
SH-001	0	13	01a23331-bf8e-70b2-952a-a8fb19bce0cd	117712829025222656	c01	parcel.shelved	1	SF2000000000002		{"shelf":"3","layer":"2","code":"3-2-6196","at":1796155228046}	1796155228073	\N
SH-001	0	14	01a23331-bf9d-77e8-8bc3-c0f1274a8843	117712829026205696	c01	parcel.notified	1	SF2000000000002		{"reason":"arrival","channel":"log","at":1796155228059}	1796155228108	\N
SH-001	0	15	01a23331-bf9f-78d8-9b50-f1637fb55a7c	117712829026336768	c01	parcel.inbound	1	SF2000000000003		{"waybill":"SF2000000000003","phone_sealed":"v2:4748580b:o0nB4bbcVDQhlPI1yFRY_E5_Xen7VUh4qjCFBB2MGrebjKmZOg4y","phone_masked":"138****5678","name_sealed":"v2:4748580b:4tCqfkLhbT7RbkmOwL3ws9WDlgTrTLxhImurQbm-AMtKURNNfQ","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228062}	1796155228108	\N
SH-001	0	16	01a23331-bfa1-7bad-9c49-3957e789485e	117712829026467840	c01	parcel.shelved	1	SF2000000000003		{"shelf":"3","layer":"2","code":"3-2-8360","at":1796155228064}	1796155228108	\N
SH-001	0	17	01a23331-bfa6-73bc-acfb-0a04bc95d46e	117712829026795520	c01	parcel.notified	1	SF2000000000003		{"reason":"arrival","channel":"log","at":1796155228069}	1796155228108	\N
SH-001	0	44	01a23331-c043-7afb-ae6d-b2f99fa2b055	117712829037084672	c01	exception.step	1	01a23331-c03f-7ce7-b45b-268ca2cab74f		{"step":"start_handling","at":1796155228225}	1796155228345	\N
SH-001	0	45	01a23331-c046-7115-8527-06cc72931e6f	117712829037281280	c01	exception.step	1	01a23331-c03f-7ce7-b45b-268ca2cab74f		{"step":"inform_customer","at":1796155228227}	1796155228345	\N
SH-001	0	18	01a23331-bfa9-798d-a14a-7ca7f0362c01	117712829026992128	c01	parcel.inbound	1	SF2000000000004		{"waybill":"SF2000000000004","phone_sealed":"v2:4748580b:-yzPX5R62cKbL_SGdYrdaE8AFohFpk6auiK2ZKPT_WdSWBIy8U8H","phone_masked":"138****5678","name_sealed":"v2:4748580b:MMYBjFsAJOg1QJXMKjbECDZr3-NqNibkRY_VW0hZTguglZbWKQ","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228072}	1796155228108	\N
SH-001	0	19	01a23331-bfab-7ee3-988c-0cb5bd3e01db	117712829027123200	c01	parcel.shelved	1	SF2000000000004		{"shelf":"3","layer":"2","code":"3-2-2724","at":1796155228075}	1796155228146	\N
SH-001	0	20	01a23331-bfaf-776d-8a5c-0a706d7a49db	117712829027385344	c01	parcel.notified	1	SF2000000000004		{"reason":"arrival","channel":"log","at":1796155228079}	1796155228146	\N
SH-001	0	21	01a23331-bfb2-79bb-8f87-0b916061bbd5	117712829027581952	c01	parcel.inbound	1	SF2000000000005		{"waybill":"SF2000000000005","phone_sealed":"v2:4748580b:kgYJIlyc6igM4FU7a7GJtkrIy1L-JnWLc2cFQenORk0ja0iFSvs-","phone_masked":"138****5678","name_sealed":"v2:4748580b:XKsn_-7-QfJ6IN9raiX8OYt6-3XDOTX3oCiDQy2gTfHKPUFCZQ","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228082}	1796155228146	\N
SH-001	0	22	01a23331-bfb6-7956-8e55-68fe4917d5bc	117712829027844096	c01	parcel.shelved	1	SF2000000000005		{"shelf":"3","layer":"2","code":"3-2-5394","at":1796155228086}	1796155228180	\N
SH-001	0	23	01a23331-bfb9-72e5-b08e-5503c9ebe194	117712829028040704	c01	parcel.notified	1	SF2000000000005		{"reason":"arrival","channel":"log","at":1796155228089}	1796155228180	\N
SH-001	0	24	01a23331-bfbd-74b6-af7c-90d2fd1b0ca5	117712829028302848	c01	parcel.inbound	1	SF2000000000008		{"waybill":"SF2000000000008","phone_sealed":"v2:4748580b:OLbTdUHtnc-Zk7ASEpJW5fTnHW9J4OeqRxleihGvcDNZCoXkbRp3","phone_masked":"138****5678","name_sealed":"v2:4748580b:VSkIuqQfOybh1IL80U90ow0G6_wsRqLvaoliLD8R7R7vagl0dw","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228092}	1796155228180	\N
SH-001	0	25	01a23331-bfc1-764b-a887-0c5d65fca491	117712829028564992	c01	parcel.shelved	1	SF2000000000008		{"shelf":"3","layer":"2","code":"3-2-9820","at":1796155228096}	1796155228180	\N
SH-001	0	26	01a23331-bfc7-7812-9646-a93c3b5ddbcc	117712829028958208	c01	parcel.notified	1	SF2000000000008		{"reason":"arrival","channel":"log","at":1796155228103}	1796155228180	\N
SH-001	0	27	01a23331-bfcf-762c-84a7-27aa6745faa8	117712829029482496	c01	parcel.inbound	1	SF2000000000009		{"waybill":"SF2000000000009","phone_sealed":"v2:4748580b:6qaTL0R-n1XKdgUmgLVsnFNkzmanDQRxqW2uWCScaFwKuR6n3Jas","phone_masked":"138****5678","name_sealed":"v2:4748580b:-w-cEEorsKM2rBXs4S-pRkVmiyMJFA1BvRspn9Mq0HfHweAUOg","name_masked":"王**","customer":"6e4c902d93c0e63fb94c0bb4c8f8d088","phone_last4":"5678","carriers":["SF"],"hold_days":7,"at":1796155228107}	1796155228225	\N
SH-001	0	28	01a23331-bfd1-7e77-aab5-d261834cbee3	117712829029613568	c01	parcel.shelved	1	SF2000000000009		{"shelf":"3","layer":"2","code":"3-2-8106","at":1796155228112}	1796155228225	\N
SH-001	0	29	01a23331-bfd6-7214-8e66-e14b72c298e9	117712829029941248	c01	parcel.notified	1	SF2000000000009		{"reason":"arrival","channel":"log","at":1796155228117}	1796155228225	\N
SH-001	0	30	01a23331-bfda-745f-ae3d-5fe3bb842ea2	117712829030203392	c01	parcel.shelved	1	SF2000000000002		{"shelf":"4","layer":"2","code":"4-2-3904","at":1796155228120}	1796155228235	\N
SH-001	0	31	01a23331-bfe3-782f-be43-b0fae3407631	117712829030793216	c01	parcel.notified	1	SF2000000000002		{"reason":"arrival","channel":"log","at":1796155228130}	1796155228235	\N
SH-001	0	32	01a23331-bfeb-7564-9c11-5f875a20ffa7	117712829031317504	c01	parcel.notified	1	SF2000000000009		{"reason":"manual","channel":"log","at":1796155228135}	1796155228235	\N
SH-001	0	33	01a23331-bff1-7dfa-8e4b-42423d02c55a	117712829031710720	c01	parcel.shelved	1	SF2000000000003		{"shelf":"5","layer":"2","code":"5-2-4881","at":1796155228144}	1796155228235	\N
SH-001	0	34	01a23331-bff7-7008-8478-de1121ca0639	117712829032103936	c01	parcel.notified	1	SF2000000000003		{"reason":"arrival","channel":"log","at":1796155228148}	1796155228235	\N
SH-001	0	35	01a23331-c001-7bd1-befe-faf720d4c623	117712829032759296	c01	parcel.picked_up	1	SF2000000000003		{"id_check":"id_card","signer":"recipient","signature_sha256":"19dd1e979cec031ea221ccce8c8589bd6c07ec53120870d5d9dff1322ae30bc3","signature_svg":"\\u003csvg xmlns=\\"http://www.w3.org/2000/svg\\"\\u003e\\u003cpath d=\\"M1 1 L20 9 L30 2\\"/\\u003e\\u003c/svg\\u003e","staff":"c01","at":1796155228159}	1796155228279	\N
SH-001	0	36	01a23331-c003-7e9d-bd94-90b9bc83d973	117712829032890368	c01	parcel.shelved	1	SF2000000000004		{"shelf":"5","layer":"2","code":"5-2-5002","at":1796155228161}	1796155228279	\N
SH-001	0	37	01a23331-c00a-7087-b66e-208288fe4ba8	117712829033349120	c01	parcel.notified	1	SF2000000000004		{"reason":"arrival","channel":"log","at":1796155228167}	1796155228279	\N
SH-001	0	38	01a23331-c00c-7dc7-91cd-7aefb69e0e97	117712829033480192	c01	parcel.picked_up	1	SF2000000000004		{"id_check":"code_only","signer":"agent","agent_name_sealed":"v2:4748580b:cnvi421CGX6xvFTWX88FRU3gBzz-b8OPDjBXwHkdAX4lRITehqOETA","agent_name_masked":"邻***","confirmation_sealed":"v2:4748580b:f-gow5tZaiQnDJJSt0RQ_LXXi8TwH9RN5ECQRTtUdrgaOHwsgAa-QaogSg","staff":"c01","at":1796155228170}	1796155228313	\N
SH-001	0	39	01a23331-c028-7184-a269-9f5dc2608b55	117712829035315200	c01	parcel.refused	1	SF2000000000005		{"reason":"外包装破损","at":1796155228198}	1796155228313	\N
SH-001	0	40	01a23331-c036-7097-a5be-ddbf27c1534b	117712829036232704	c01	parcel.refused	1	SF2000000000006		{"reason":"不要了","at":1796155228206}	1796155228313	\N
SH-001	0	41	01a23331-c03a-706d-a5c6-f06841b8a442	117712829036494848	c01	dispatch.out	1	01a23331-c039-7ee2-837f-8e5771d064cb		{"courier":"K-09","courier_name":"快递员孙七","day":"2026-12-01","waybills":["SF2000000000007","SF2000000000008"],"signature":{"signer":"K-09","sha256":"19dd1e979cec031ea221ccce8c8589bd6c07ec53120870d5d9dff1322ae30bc3","svg":"\\u003csvg xmlns=\\"http://www.w3.org/2000/svg\\"\\u003e\\u003cpath d=\\"M1 1 L20 9 L30 2\\"/\\u003e\\u003c/svg\\u003e"},"staff":"c01","at":1796155228216}	1796155228313	\N
SH-001	0	42	01a23331-c03c-7c7f-b72a-efcd56294d4b	117712829036625920	c01	dispatch.delivered	1	SF2000000000008		{"batch":"01a23331-c039-7ee2-837f-8e5771d064cb","courier":"K-09","proof":{"signer":"王小明","confirmation":"本人签收"},"at":1796155228219}	1796155228313	\N
SH-001	0	43	01a23331-c03f-7f15-ba2c-eff891942754	117712829036822528	c01	exception.reported	1	01a23331-c03f-7ce7-b45b-268ca2cab74f		{"waybill":"SF2000000000002","kind":"damaged","note":"外箱压坏","owner":"c01","photos":[{"sha256":"c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77","size":70,"type":"image/png"}],"at":1796155228222}	1796155228313	\N
SH-001	0	46	01a23331-c047-7d54-a122-8dd1f7f16675	117712829037346816	c01	exception.step	1	01a23331-c03f-7ce7-b45b-268ca2cab74f		{"step":"open_claim","at":1796155228229}	1796155228345	\N
SH-001	0	47	01a23331-c049-76b2-8068-250849b422b8	117712829037477888	c01	exception.reported	1	01a23331-c049-7664-9926-93b435a2616c		{"waybill":"SF2000000000010","kind":"lost","note":"找不到","owner":"c01","at":1796155228231}	1796155228363	\N
SH-001	0	48	01a23331-c04b-70c1-832b-323100972ca9	117712829037608960	c01	complaint.received	1	01a23331-c04a-7e9d-ac61-3a1436dc8e15		{"ticket":"T261201-SH-001-DC8E15","channel":"counter","type":"complaint","category":"delay","severity":"major","customer":"bcbf9b401ab3a32b3468d7577889a489","customer_masked":"139****5678","phone_sealed":"v2:4748580b:_rJw2O0MMWrdNWni0UU52qEFBJAOBDmnA01Qb8j7_aAIZj8DuHCc","name_sealed":"v2:4748580b:X6uGuI_E3HRV6BrjjzG03kfjTrESeMHlW7GiEKPPtOANmnSuhw","name_masked":"欧**","text":"","text_sealed":"v2:4748580b:Tn3CUTgtYzZS0r9WFPX3BcycAPDHVFrE901K6j97PFQapDflAfVsAgWq2aMRNw","owner":"c01","at":1796155228232}	1796155228363	\N
SH-001	0	49	01a23331-c052-7abb-9b0f-c40e9f711fa6	117712829038067712	c01	complaint.step	1	01a23331-c04a-7e9d-ac61-3a1436dc8e15		{"step":"acknowledge","at":1796155228239}	1796155228363	\N
SH-001	0	50	01a23331-c055-7453-acc8-5370c088bfde	117712829038264320	c01	complaint.received	1	01a23331-c055-733b-af8a-0ae6ac003bfa		{"ticket":"T261201-SH-001-003BFA","channel":"phone","type":"suggestion","category":"other","severity":"routine","customer":"919fcee1cec6d686ed8a2c78dede3e83","customer_masked":"137****1111","phone_sealed":"v2:4748580b:vRu9QHNdotIqo0SIvvvxR04_T7CF22vu9NvpKWee9KzmR2W7D2Mu","text":"","text_sealed":"v2:4748580b:iK5dhkDf5rdypQHKgeMZig1HvoiNliyaaVQy1r9S1e034zrjnPwLtO6M-g","owner":"c01","at":1796155228243}	1796155228363	\N
SH-001	0	51	01a23331-c05a-7c4a-a6af-e445ac0c79de	117712829038592000	c01	notice.acknowledged	1	01a23331-b7bf-793d-a965-987f69d7a0f4		{"staff":"c01","at":1796155228248}	1796155228363	\N
SH-001	0	52	01a23331-c065-7003-be59-a10425e3a0d2	117712829039312896	c01	handover.opened	1	01a23331-c064-7456-bfa7-ec887463374b		{"manifests":["01a23331-b817-7e93-bf10-d2f4bf85bba1"],"courier":"K-07","staff":"c01","at":1796155228258}	1796155228394	\N
SH-001	0	53	01a23331-c06b-7301-a111-5dad7c852476	117712829039706112	c01	handover.scanned	1	01a23331-c064-7456-bfa7-ec887463374b		{"waybill":"SF7000000000001","at":1796155228264}	1796155228394	\N
SH-001	0	54	01a23331-c06d-7ef2-8012-544243a032d5	117712829039837184	c01	handover.closed	1	01a23331-c064-7456-bfa7-ec887463374b		{"courier":{"signer":"K-07","confirmation":"快递员确认"},"clerk":{"signer":"c01","sha256":"19dd1e979cec031ea221ccce8c8589bd6c07ec53120870d5d9dff1322ae30bc3","svg":"\\u003csvg xmlns=\\"http://www.w3.org/2000/svg\\"\\u003e\\u003cpath d=\\"M1 1 L20 9 L30 2\\"/\\u003e\\u003c/svg\\u003e"},"at":1796155228267}	1796155228394	\N
SH-001	0	55	01a23331-c06f-74ca-8228-461a078a97f9	117712829039968256	c01	exception.reported	1	hx-df0f97b60d2ab9ebb6347ca19ec4cff3		{"waybill":"SF7000000000002","kind":"lost","owner":"c01","handover":"01a23331-c064-7456-bfa7-ec887463374b","at":1796155228267}	1796155228398	\N
SH-001	0	56	01a23331-c072-752c-8a2d-0a6f2890f642	117712829040164864	c01	waybill.issued	1	SH-001		{"number":"YZ000000005CN","at":1796155228272}	1796155228398	\N
SH-001	0	57	01a23331-c073-79ac-b892-d1f5e4cb280c	117712829040230400	c01	shipment.accepted	1	YZ000000005CN		{"number":"YZ000000005CN","sender":{"name_sealed":"v2:4748580b:j0ChNx5mzYOs6O6GeE8CvMz_lBq1GRW3pt1EDYNTpuG_jtwnMQ","name_masked":"黄**","phone_sealed":"v2:4748580b:KA5rsB3WkP8daizC9xFosaJwj7Sk6apypJSA7wj4jjUlHt0bxyhG","phone_masked":"138****2222","customer":"1cd03c1a1037de3b8b0edd51b35de5e1"},"sender_id_type":"resident_id","sender_id_sealed":"v2:4748580b:0jVK20weUuDs2TonugbW_iwLwmXtpkBwDCEu-KvOuwP7pZp9ox-8gcyhI6bgeA","sender_id_masked":"110***********002X","recipient":{"name_sealed":"v2:4748580b:VB-moWyyThv6eNIz5qhWfsySptptXabJxqIqTk3wKU6rZQ","name_masked":"郭*","phone_sealed":"v2:4748580b:wq5D3n8BQ0QsAeCqtZTL1XPzmMKjbqlO78arFoNdmTCE5Dhq4x42","phone_masked":"139****5678","customer":"bcbf9b401ab3a32b3468d7577889a489","address_sealed":"v2:4748580b:C719zGvoJ6YVE69U012_YsWqAqraF3ktcLQv8RJGwV5x-UrFiAQSVuwICjud5UdpQguW7YlzltJQkkFFJBjsrHA","dest_code":"310115"},"item_type":"clothing","items":"冬衣两件","packaging":"防水袋或纸箱，压实减少体积 / waterproof bag or carton, pack tight to cut volume","prohibited_version":"P-R1","prohibited_checked":["B01"],"weight_grams":1200,"weight_from":"manual","tariff_version":"T-R1","quote":{"chargeable_grams":1200,"volumetric_grams":0,"volumetric":false,"zone":"local","base_fen":1000,"insurance_fen":0,"total_fen":1000,"lines":[{"code":"first_weight","text":"首重 1000 克 / first 1000 g","fen":800,"params":{"grams":1000}},{"code":"additional_weight","text":"续重 1 × 1000 克 / additional 1 × 1000 g","fen":200,"params":{"grams":1000,"steps":1}}]},"staff":"c01","at":1796155228273}	1796155228398	\N
hub	0	9	01a23331-c12a-7f33-bfca-381d2dfb0ee7	117712829052223488	admin	exception.step	1	01a23331-c03f-7ce7-b45b-268ca2cab74f	SH-001	{"step":"assign","owner":"hq-li","at":1796155228458}	1796155228459	\N
hub	0	10	01a23331-c143-7b9c-ad6c-6b1279e97575	117712829053861888	admin	exception.step	1	01a23331-c03f-7ce7-b45b-268ca2cab74f	SH-001	{"step":"decide_claim","approved":true,"amount_cents":8800,"at":1796155228483}	1796155228484	\N
hub	0	11	01a23331-c150-7264-a03e-a5c994e6a04c	117712829054713856	admin	complaint.step	1	01a23331-c04a-7e9d-ac61-3a1436dc8e15	SH-001	{"step":"escalate","reason":"media","at":1796155228496}	1796155228496	\N
\.


--
-- Data for Name: events_2027_01; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_01 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_02; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_02 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_03; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_03 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_04; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_04 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_05; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_05 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_06; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_06 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_07; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_07 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_08; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_08 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_09; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_09 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_10; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_10 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_11; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_11 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_2027_12; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2027_12 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: events_default; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_default (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: held_events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.held_events (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc) FROM stdin;
\.


--
-- Data for Name: measure_facts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.measure_facts (kind, id, outlet, person, label, at, reply_at, result_at, escalations, satisfaction, claim, amount_cents) FROM stdin;
complaint	01a23331-c055-733b-af8a-0ae6ac003bfa	SH-001	SH-001/c01	suggestion	1796155228245	0	0	0	0	f	0
exception	01a23331-c049-7664-9926-93b435a2616c	SH-001	SH-001/c01	lost	1796155228233	0	0	0	0	f	0
exception	hx-df0f97b60d2ab9ebb6347ca19ec4cff3	SH-001	SH-001/c01	lost	1796155228271	0	0	0	0	f	0
exception	01a23331-c03f-7ce7-b45b-268ca2cab74f	SH-001	hub/admin	damaged	1796155228223	1796155228483	0	0	0	t	8800
complaint	01a23331-c04a-7e9d-ac61-3a1436dc8e15	SH-001	SH-001/c01	complaint	1796155228235	1796155228242	0	1	0	f	0
\.


--
-- Data for Name: measure_tallies; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.measure_tallies (day, outlet, person, name, n) FROM stdin;
20789	SH-001	SH-001/c01	parcels.inbound	9
20789	SH-001	SH-001/c01	parcels.dwell.0	2
20789	SH-001	SH-001/c01	parcels.picked_up	2
20789	SH-001	SH-001/c01	handovers.count	1
20789	SH-001	SH-001/c01	handovers.expected	2
20789	SH-001	SH-001/c01	handovers.missing	1
20789	SH-001	SH-001/c01	handovers.scanned	1
\.


--
-- Data for Name: outlets; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.outlets (id, secret_hash, acked_seq, last_seen, down_cursor, created_at, epoch, incarnation, clock_offset_ms, clock_skewed_events, region, city, head, oldest_unsynced, rejects) FROM stdin;
BJ-002	sha256$XbSbdjwBhVcYwilPadDasQ$dHdqR5uBMzQqR4YL_Tk5DojuWUgcnCft6JQKe8SOMMs	0	0	0	1796155225327	0		0	0	华北	北京	\N	0	0
SH-001	sha256$uMZkhwXStRRA6YGdklhpiA$CxDBoo2YHH0Lb-LfYxl-WqD6ArMkPV-79beXS4uG4sc	57	1796155228506	8	1796155225208	0	44fa1a8d2bdbe3d9db0db2474377487c	-123	0	华东	上海	57	0	0
\.


--
-- Data for Name: parcels; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.parcels (waybill, outlet, state, since) FROM stdin;
SF2000000000001	SH-001	inbound	1796155228018
XYZ-0001	SH-001	scanned	1796155228017
SF1000000000001	SH-001	scanned	1796155228016
SF2000000000007	SH-001	in_stock	1796155228037
SF2000000000008	SH-001	in_stock	1796155228096
SF2000000000002	SH-001	in_stock	1796155228046
SF2000000000009	SH-001	in_stock	1796155228112
SF2000000000003	SH-001	picked_up	1796155228159
SF2000000000004	SH-001	picked_up	1796155228170
SF2000000000005	SH-001	returning	1796155228198
SF2000000000006	SH-001	returning	1796155228206
\.


--
-- Data for Name: pending_ranges; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.pending_ranges (origin, epoch, first, last) FROM stdin;
\.


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_version (version, name, applied_at) FROM stdin;
1	create outlets, events partitioned by month, held events, dead letters, pending ranges, conflicts, downlink, counters, cases, serials	2026-12-01 20:00:24.723122+00
2	head-office accounts, sessions, API tokens and the audit trail	2026-12-01 20:00:24.723122+00
3	group outlets by region and city; keep their reported backlog and rejects; index parcels by waybill and outlet	2026-12-01 20:00:24.723122+00
4	add the measures' rollups	2026-12-01 20:00:24.723122+00
5	order the queues by deadline: the case rows' owner and next deadline; the store's settings	2026-12-01 20:00:24.723122+00
\.


--
-- Data for Name: serial_once; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.serial_once (key, down_seq) FROM stdin;
\.


--
-- Data for Name: serials; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.serials (name, next) FROM stdin;
rollups.built	6822918141220371489
waybill:YZCN	10
\.


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.sessions (hash, account, created_at, last_seen, client) FROM stdin;
6116f44b7735492d8cddc07e2fc61b94d6a5dd742b78b4ce2dbdfc39f89902a9	kefu	1796155225979	1796155225979	127.0.0.1
\.


--
-- Data for Name: settings; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.settings (name, value) FROM stdin;
case_limits	first_reply=24h0m0s;result=168h0m0s;damaged=168h0m0s;lost=168h0m0s;delayed=48h0m0s;refused=24h0m0s;address_problem=24h0m0s;wrong_phone=24h0m0s;mis_sorted=24h0m0s;overdue=72h0m0s;prohibited=24h0m0s;other=168h0m0s
\.


--
-- Name: audit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_id_seq', 21, true);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


--
-- Name: api_tokens api_tokens_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_hash_key UNIQUE (hash);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (name);


--
-- Name: audit audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit
    ADD CONSTRAINT audit_pkey PRIMARY KEY (id);


--
-- Name: cases cases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_pkey PRIMARY KEY (kind, id);


--
-- Name: conflicts conflicts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conflicts
    ADD CONSTRAINT conflicts_pkey PRIMARY KEY (origin, epoch, seq);


--
-- Name: counters counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.counters
    ADD CONSTRAINT counters_pkey PRIMARY KEY (name);


--
-- Name: dead_letters dead_letters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letters
    ADD CONSTRAINT dead_letters_pkey PRIMARY KEY (origin, epoch, seq);


--
-- Name: downlink_head downlink_head_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.downlink_head
    ADD CONSTRAINT downlink_head_pkey PRIMARY KEY (one);


--
-- Name: downlink downlink_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.downlink
    ADD CONSTRAINT downlink_pkey PRIMARY KEY (seq);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2026_11 events_2026_11_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2026_11
    ADD CONSTRAINT events_2026_11_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2026_12 events_2026_12_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2026_12
    ADD CONSTRAINT events_2026_12_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_01 events_2027_01_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_01
    ADD CONSTRAINT events_2027_01_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_02 events_2027_02_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_02
    ADD CONSTRAINT events_2027_02_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_03 events_2027_03_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_03
    ADD CONSTRAINT events_2027_03_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_04 events_2027_04_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_04
    ADD CONSTRAINT events_2027_04_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_05 events_2027_05_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_05
    ADD CONSTRAINT events_2027_05_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_06 events_2027_06_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_06
    ADD CONSTRAINT events_2027_06_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_07 events_2027_07_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_07
    ADD CONSTRAINT events_2027_07_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_08 events_2027_08_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_08
    ADD CONSTRAINT events_2027_08_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_09 events_2027_09_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_09
    ADD CONSTRAINT events_2027_09_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_10 events_2027_10_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_10
    ADD CONSTRAINT events_2027_10_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_11 events_2027_11_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_11
    ADD CONSTRAINT events_2027_11_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_2027_12 events_2027_12_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_2027_12
    ADD CONSTRAINT events_2027_12_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: events_default events_default_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events_default
    ADD CONSTRAINT events_default_pkey PRIMARY KEY (origin, epoch, seq, hlc);


--
-- Name: held_events held_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.held_events
    ADD CONSTRAINT held_events_pkey PRIMARY KEY (origin, epoch, seq);


--
-- Name: measure_facts measure_facts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.measure_facts
    ADD CONSTRAINT measure_facts_pkey PRIMARY KEY (kind, id);


--
-- Name: measure_tallies measure_tallies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.measure_tallies
    ADD CONSTRAINT measure_tallies_pkey PRIMARY KEY (day, outlet, person, name);


--
-- Name: outlets outlets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outlets
    ADD CONSTRAINT outlets_pkey PRIMARY KEY (id);


--
-- Name: parcels parcels_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.parcels
    ADD CONSTRAINT parcels_pkey PRIMARY KEY (waybill, outlet);


--
-- Name: pending_ranges pending_ranges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pending_ranges
    ADD CONSTRAINT pending_ranges_pkey PRIMARY KEY (origin, epoch, first, last);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: serial_once serial_once_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.serial_once
    ADD CONSTRAINT serial_once_pkey PRIMARY KEY (key);


--
-- Name: serials serials_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.serials
    ADD CONSTRAINT serials_pkey PRIMARY KEY (name);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (hash);


--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (name);


--
-- Name: audit_actor; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_actor ON public.audit USING btree (actor, id);


--
-- Name: audit_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_at ON public.audit USING btree (at);


--
-- Name: cases_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cases_due ON public.cases USING btree (kind, open, due);


--
-- Name: cases_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cases_open ON public.cases USING btree (kind, open, hlc);


--
-- Name: cases_outlet; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cases_outlet ON public.cases USING btree (kind, outlet, open, hlc);


--
-- Name: downlink_target; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX downlink_target ON public.downlink USING btree (target, seq);


--
-- Name: events_subject; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_subject ON ONLY public.events USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2026_11_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2026_11_subject_idx ON public.events_2026_11 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2026_12_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2026_12_subject_idx ON public.events_2026_12 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_01_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_01_subject_idx ON public.events_2027_01 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_02_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_02_subject_idx ON public.events_2027_02 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_03_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_03_subject_idx ON public.events_2027_03 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_04_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_04_subject_idx ON public.events_2027_04 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_05_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_05_subject_idx ON public.events_2027_05 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_06_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_06_subject_idx ON public.events_2027_06 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_07_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_07_subject_idx ON public.events_2027_07 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_08_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_08_subject_idx ON public.events_2027_08 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_09_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_09_subject_idx ON public.events_2027_09 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_10_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_10_subject_idx ON public.events_2027_10 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_11_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_11_subject_idx ON public.events_2027_11 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_2027_12_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2027_12_subject_idx ON public.events_2027_12 USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: events_default_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_default_subject_idx ON public.events_default USING btree (subject) WHERE (subject <> ''::text);


--
-- Name: measure_facts_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX measure_facts_at ON public.measure_facts USING btree (kind, at);


--
-- Name: outlets_region; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outlets_region ON public.outlets USING btree (region, city);


--
-- Name: sessions_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_account ON public.sessions USING btree (account);


--
-- Name: sessions_seen; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_seen ON public.sessions USING btree (last_seen);


--
-- Name: events_2026_11_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2026_11_pkey;


--
-- Name: events_2026_11_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2026_11_subject_idx;


--
-- Name: events_2026_12_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2026_12_pkey;


--
-- Name: events_2026_12_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2026_12_subject_idx;


--
-- Name: events_2027_01_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_01_pkey;


--
-- Name: events_2027_01_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_01_subject_idx;


--
-- Name: events_2027_02_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_02_pkey;


--
-- Name: events_2027_02_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_02_subject_idx;


--
-- Name: events_2027_03_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_03_pkey;


--
-- Name: events_2027_03_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_03_subject_idx;


--
-- Name: events_2027_04_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_04_pkey;


--
-- Name: events_2027_04_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_04_subject_idx;


--
-- Name: events_2027_05_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_05_pkey;


--
-- Name: events_2027_05_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_05_subject_idx;


--
-- Name: events_2027_06_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_06_pkey;


--
-- Name: events_2027_06_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_06_subject_idx;


--
-- Name: events_2027_07_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_07_pkey;


--
-- Name: events_2027_07_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_07_subject_idx;


--
-- Name: events_2027_08_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_08_pkey;


--
-- Name: events_2027_08_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_08_subject_idx;


--
-- Name: events_2027_09_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_09_pkey;


--
-- Name: events_2027_09_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_09_subject_idx;


--
-- Name: events_2027_10_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_10_pkey;


--
-- Name: events_2027_10_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_10_subject_idx;


--
-- Name: events_2027_11_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_11_pkey;


--
-- Name: events_2027_11_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_11_subject_idx;


--
-- Name: events_2027_12_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2027_12_pkey;


--
-- Name: events_2027_12_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_2027_12_subject_idx;


--
-- Name: events_default_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_default_pkey;


--
-- Name: events_default_subject_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_subject ATTACH PARTITION public.events_default_subject_idx;


--
-- PostgreSQL database dump complete
--

\unrestrict R91n9etEDGBN0dLuXWUi4xqYKFhKNYRo0ha0YvbonKEZmKNTWTbx9Mma4z2HmM3

