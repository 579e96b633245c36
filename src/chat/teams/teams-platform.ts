import { type CloudAdapter, type ConversationReference, TurnContext } from 'botbuilder';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../logger.ts';
import type { NeutralMessage } from '../message.ts';
import type { ChatPlatform, OpenedChannel } from '../platform.ts';
import { messageActivity } from './cards.ts';
import { channelOf, findConversationRef, hasChatRef } from './conversation-store.ts';
import type { GraphClient } from './graph-client.ts';

/** The connector client botbuilder keeps in a turn's state (CloudAdapter.ConnectorClientKey). */
interface ConnectorConversations {
  conversations: {
    createConversation(parameters: Record<string, unknown>): Promise<{ id?: string; activityId?: string }>;
  };
}

export interface TeamsPlatformDeps {
  adapter: CloudAdapter;
  /** `MicrosoftAppId`; empty when authentication is off (local tests, the Agents Playground). */
  appId: string;
  db: Db;
  logger: Logger;
  /** Graph channel creation in this team (`TEAMS_TEAM_ID`); absent: a new thread where the command came from. */
  graph?: { client: GraphClient; teamId: string } | undefined;
  /** INCIDENTS_CHANNEL: a Teams channel id (`19:…@thread.tacv2`). */
  incidentsChannel?: string | undefined;
  /** The conversation the current command came from, when there is one. */
  origin?: Partial<ConversationReference> | undefined;
}

/**
 * ChatPlatform for Microsoft Teams. Every message goes out proactively
 * (`continueConversationAsync` on a stored ConversationReference), so the same code serves
 * a command's turn and background workers that have no turn.
 */
export class TeamsPlatform implements ChatPlatform {
  readonly platform = 'teams' as const;
  /** References opened in this instance, before the dispatcher has stored them. */
  private readonly opened = new Map<string, Partial<ConversationReference>>();
  /** A new thread's root post, which becomes the live header instead of a second post. */
  private readonly roots = new Map<string, string>();

  constructor(private readonly deps: TeamsPlatformDeps) {}

  async openIncidentChannel(input: { number: number; title: string; slug: string; topic: string }): Promise<OpenedChannel> {
    const { graph, origin } = this.deps;
    const base = origin ?? (await this.incidentsRef());
    if (!base?.conversation || !base.serviceUrl) throw new Error('no Teams conversation to open the incident channel from');
    const tenantId = base.conversation.tenantId;
    const originChannel = teamsChannelOf(base);

    if (graph) {
      const channel = await graph.client.createChannel(graph.teamId, { displayName: input.slug, description: input.topic });
      const thread = await this.startThread(base, channel.id, input.topic);
      // The whole channel belongs to the incident: commands in any of its threads find it.
      this.opened.set(channel.id, thread.ref);
      this.roots.set(channel.id, thread.rootId);
      return { channelId: channel.id, teamId: graph.teamId, conversationRef: thread.ref as Record<string, unknown> };
    }
    if (originChannel) {
      const thread = await this.startThread(base, originChannel, input.topic);
      const channelId = thread.ref.conversation!.id;
      this.opened.set(channelId, thread.ref);
      this.roots.set(channelId, thread.rootId);
      const teamId = (base as { channelData?: { team?: { id?: string } } }).channelData?.team?.id;
      return { channelId, ...(teamId ? { teamId } : {}), conversationRef: thread.ref as Record<string, unknown> };
    }
    // Personal and group chats have no threads: the chat itself is the incident's place, once.
    const chatId = base.conversation.id;
    if (await hasChatRef(this.deps.db, chatId)) throw new Error(`the chat already hosts an incident; declare in a team channel or configure TEAMS_TEAM_ID (tenant ${tenantId ?? '?'})`);
    this.opened.set(chatId, base);
    return { channelId: chatId, conversationRef: base as Record<string, unknown> };
  }

  async post(channelId: string, message: NeutralMessage): Promise<string> {
    const ref = await this.refOf(channelId);
    let id = '';
    await this.continueIn(ref, async (context) => {
      id = (await context.sendActivity(messageActivity(message)))?.id ?? '';
    });
    return id;
  }

  async update(channelId: string, messageId: string, message: NeutralMessage): Promise<void> {
    const ref = await this.refOf(channelId);
    await this.continueIn(ref, async (context) => {
      await context.updateActivity({ ...messageActivity(message), id: messageId });
    });
  }

  async upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage): Promise<string> {
    const target = messageId ?? this.roots.get(channelId);
    if (target) {
      await this.update(channelId, target, message);
      this.roots.delete(channelId);
      return target;
    }
    return this.post(channelId, message);
  }

  async announce(message: NeutralMessage): Promise<void> {
    const ref = await this.incidentsRef();
    if (!ref) {
      if (this.deps.incidentsChannel) this.deps.logger.debug({ channel: this.deps.incidentsChannel }, 'incidents channel not seen yet: announcement skipped');
      return;
    }
    await this.continueIn(ref, async (context) => {
      await context.sendActivity(messageActivity(message));
    });
  }

  private async incidentsRef(): Promise<Partial<ConversationReference> | undefined> {
    return this.deps.incidentsChannel ? findConversationRef(this.deps.db, this.deps.incidentsChannel) : undefined;
  }

  private async refOf(channelId: string): Promise<Partial<ConversationReference>> {
    const ref =
      this.opened.get(channelId) ??
      (await findConversationRef(this.deps.db, channelId)) ??
      (this.deps.origin?.conversation && channelOf(this.deps.origin.conversation.id) === channelOf(channelId) ? this.deps.origin : undefined);
    if (!ref) throw new Error(`no Teams conversation reference for ${channelId}`);
    return ref;
  }

  private async continueIn(ref: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    await this.deps.adapter.continueConversationAsync(this.deps.appId, ref, logic);
  }

  /** Posts a new thread in a Teams channel (Connector createConversation) and returns its reference and root post. */
  private async startThread(base: Partial<ConversationReference>, channelId: string, topic: string): Promise<{ ref: Partial<ConversationReference>; rootId: string }> {
    let result: { id?: string; activityId?: string } = {};
    await this.continueIn(base, async (context) => {
      const connector = context.turnState.get(this.deps.adapter.ConnectorClientKey) as ConnectorConversations;
      const tenantId = base.conversation?.tenantId;
      result = await connector.conversations.createConversation({
        isGroup: true,
        bot: base.bot,
        ...(tenantId ? { tenantId } : {}),
        channelData: { channel: { id: channelId }, ...(tenantId ? { tenant: { id: tenantId } } : {}) },
        activity: messageActivity({ text: topic, title: topic }),
      });
    });
    if (!result.id) throw new Error('Teams did not return the new thread');
    const threadId = result.id.includes(';') || !result.activityId ? result.id : `${result.id};messageid=${result.activityId}`;
    const rootId = result.activityId ?? /;messageid=(\d+)/.exec(threadId)?.[1] ?? '';
    const ref: Partial<ConversationReference> = {
      ...base,
      activityId: undefined,
      conversation: { ...base.conversation!, id: threadId, isGroup: true, conversationType: 'channel' },
    };
    delete ref.activityId;
    return { ref, rootId };
  }
}

/** The Teams channel a reference is in, or undefined for personal and group chats. */
export function teamsChannelOf(ref: Partial<ConversationReference>): string | undefined {
  const conversation = ref.conversation;
  if (!conversation) return undefined;
  const fromData = (ref as { channelData?: { channel?: { id?: string } } }).channelData?.channel?.id;
  if (fromData) return fromData;
  if (conversation.conversationType === 'channel' || /@thread\.(tacv2|skype)/.test(conversation.id)) return channelOf(conversation.id);
  return undefined;
}

/** The reference of an incoming activity, kept with its channel data (team, channel) for later threads. */
export function referenceOf(context: TurnContext): Partial<ConversationReference> {
  const ref = TurnContext.getConversationReference(context.activity) as Partial<ConversationReference> & { channelData?: unknown };
  const channelData = context.activity.channelData as { channel?: unknown; team?: unknown; tenant?: unknown } | undefined;
  if (channelData) ref.channelData = { channel: channelData.channel, team: channelData.team, tenant: channelData.tenant };
  delete ref.activityId;
  return ref;
}
