import type { ResearchIndustry } from './research.ts';

export type DemoProductType = 'CHATBOT' | 'VOICEBOT';

export interface DemoTool {
  name: string;
  description: string;
}

export interface MockRecord {
  entity: string;
  /** Field values as `key=value` pairs, kept flat so clients can render them as a table. */
  fields: Array<{ key: string; value: string }>;
}

interface IndustryKit {
  tools: DemoTool[];
  records: MockRecord[];
}

const rec = (entity: string, fields: Record<string, string>): MockRecord => ({ entity, fields: Object.entries(fields).map(([key, value]) => ({ key, value })) });

/** Tools and mock data per industry: what a demo agent can call and what it answers from. */
export const INDUSTRY_KITS: Readonly<Record<ResearchIndustry, IndustryKit>> = {
  HEALTHCARE: {
    tools: [
      { name: 'find_appointment_slots', description: 'Lists open appointment slots for a provider and date' },
      { name: 'book_appointment', description: 'Books a slot for a patient' },
      { name: 'check_insurance', description: 'Checks whether an insurance plan is accepted' },
    ],
    records: [rec('Provider', { name: 'Dr. Ana Ruiz', specialty: 'Family medicine', nextSlot: 'Tue 09:30' }), rec('InsurancePlan', { name: 'BlueCross PPO', accepted: 'yes' })],
  },
  FINANCE: {
    tools: [
      { name: 'get_account_balance', description: 'Returns the balance of a verified customer account' },
      { name: 'loan_prequalification', description: 'Estimates eligibility from income and amount' },
      { name: 'report_card_lost', description: 'Blocks a card and orders a replacement' },
    ],
    records: [rec('Account', { number: '****4821', type: 'Checking', balance: '$2,340.18' }), rec('LoanProduct', { name: 'Personal loan', apr: '8.9%', maxAmount: '$25,000' })],
  },
  RETAIL: {
    tools: [
      { name: 'track_order', description: 'Returns shipping status for an order number' },
      { name: 'start_return', description: 'Creates a return label for an order line' },
      { name: 'product_search', description: 'Finds products by name, size and color' },
    ],
    records: [rec('Order', { number: 'A-10293', status: 'Shipped', eta: '2 days' }), rec('Product', { name: 'Trail runner', sizes: '38–46', price: '$89' })],
  },
  SOFTWARE: {
    tools: [
      { name: 'search_docs', description: 'Searches product documentation' },
      { name: 'create_ticket', description: 'Opens a support ticket with logs attached' },
      { name: 'check_status', description: 'Reports current service status' },
    ],
    records: [rec('Incident', { service: 'API', status: 'Operational', uptime: '99.98%' }), rec('Plan', { name: 'Team', seats: '10', renewal: 'monthly' })],
  },
  HOSPITALITY: {
    tools: [
      { name: 'check_availability', description: 'Checks room or table availability' },
      { name: 'make_reservation', description: 'Books a room or table' },
      { name: 'get_menu', description: 'Returns the current menu with dietary tags' },
    ],
    records: [rec('Room', { type: 'Double', rate: '$140/night', available: '3' }), rec('Table', { size: '4', time: '19:30', available: 'yes' })],
  },
  EDUCATION: {
    tools: [
      { name: 'course_catalog', description: 'Lists courses with start dates' },
      { name: 'enrollment_status', description: 'Returns a student\'s enrollment status' },
      { name: 'book_advisor', description: 'Books a meeting with an advisor' },
    ],
    records: [rec('Course', { title: 'Data Analytics 101', starts: 'Sep 4', seatsLeft: '12' }), rec('Student', { id: 'S-2231', status: 'Enrolled' })],
  },
  REAL_ESTATE: {
    tools: [
      { name: 'search_listings', description: 'Finds listings by area, budget and size' },
      { name: 'schedule_viewing', description: 'Books a viewing for a listing' },
      { name: 'maintenance_request', description: 'Logs a tenant maintenance request' },
    ],
    records: [rec('Listing', { address: '12 Elm St', rent: '$1,850', bedrooms: '2' }), rec('Viewing', { listing: '12 Elm St', slot: 'Sat 11:00' })],
  },
  LOGISTICS: {
    tools: [
      { name: 'track_shipment', description: 'Returns the location and ETA of a shipment' },
      { name: 'get_quote', description: 'Quotes a shipment by weight and route' },
      { name: 'reschedule_delivery', description: 'Moves a delivery to another window' },
    ],
    records: [rec('Shipment', { id: 'SH-88213', location: 'Memphis hub', eta: 'Thu' }), rec('Quote', { route: 'CHI→NYC', weight: '120 kg', price: '$310' })],
  },
  OTHER: {
    tools: [
      { name: 'answer_faq', description: 'Answers questions from the company knowledge base' },
      { name: 'capture_lead', description: 'Collects contact details and interest' },
      { name: 'handoff_to_human', description: 'Transfers the conversation to a person' },
    ],
    records: [rec('FAQ', { question: 'What are your opening hours?', answer: 'Mon–Fri 9:00–17:00' })],
  },
};

/** Voice demos also get call-control tools. */
const VOICE_TOOLS: DemoTool[] = [
  { name: 'transfer_call', description: 'Warm-transfers the caller to a human agent' },
  { name: 'send_sms_confirmation', description: 'Texts the caller a confirmation' },
];

export interface DemoPlan {
  tools: DemoTool[];
  mockData: MockRecord[];
  script: string[];
}

/**
 * The demo for an industry and product type: the industry kit's tools (plus call tools for voice),
 * its mock records, and a script: greeting, one turn per pain point (at most 4) showing the matching
 * opportunity, and a close.
 */
export const planDemo = (input: { companyName: string; industry: ResearchIndustry; productType: DemoProductType; painPoints: readonly string[]; opportunities: readonly string[] }): DemoPlan => {
  const kit = INDUSTRY_KITS[input.industry];
  const tools = input.productType === 'VOICEBOT' ? [...kit.tools, ...VOICE_TOOLS] : [...kit.tools];
  const channel = input.productType === 'VOICEBOT' ? 'call' : 'chat';
  const script = [`Assistant: Hello, thanks for contacting ${input.companyName}. How can I help you today?`];
  input.painPoints.slice(0, 4).forEach((pain, i) => {
    const answer = input.opportunities[i] ?? input.opportunities[0] ?? 'The assistant resolves the request end to end';
    script.push(`Scenario ${i + 1} — ${pain}: the ${channel} assistant shows "${answer}" using ${tools[i % tools.length].name}.`);
  });
  script.push(`Assistant: Is there anything else I can do for you? (Escalates to a person with full context when needed.)`);
  return { tools, mockData: kit.records.map((r) => ({ entity: r.entity, fields: r.fields.map((f) => ({ ...f })) })), script };
};
